"""営業グロースAI (Sales Growth AI): 1on1 analysis, coaching and action plans for junior salespeople."""

__version__ = "0.1.0"
