"""Imports every domain's models so that ``Base.metadata`` knows all tables (Alembic, tests).

Add each new domain's ``models`` module here.
"""
