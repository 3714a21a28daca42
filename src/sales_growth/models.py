"""Imports every domain's models so that ``Base.metadata`` knows all tables (Alembic, tests).

Add each new domain's ``models`` module here.
"""

from sales_growth.accounts import models as accounts_models  # noqa: F401
