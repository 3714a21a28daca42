"""Imports every domain's models so that ``Base.metadata`` knows all tables (Alembic, tests).

Add each new domain's ``models`` module here.
"""

from sales_growth.accounts import models as accounts_models  # noqa: F401
from sales_growth.coaching import models as coaching_models  # noqa: F401
from sales_growth.feedback import models as feedback_models  # noqa: F401
from sales_growth.one_on_ones import models as one_on_ones_models  # noqa: F401
from sales_growth.ops import models as ops_models  # noqa: F401
