"""Feedback: ratings of analyses and plans (the satisfaction KPI) and corrections of findings (the AI-accuracy KPI)."""
