"""Coaching dialogues (対話セッション) and the action plans they produce: items, progress, comments, growth."""
