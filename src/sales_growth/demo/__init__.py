"""The sample organisation for practice (サンプルデータでの練習環境): ``sales-growth demo`` and ``serve --demo``."""

# The documented practice password of the sample accounts (README); ``--password`` or SALES_GROWTH_PASSWORD
# sets another. Kept here, light to import, so that the command line knows it without loading the services.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105
