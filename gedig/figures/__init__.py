"""Figures: static (matplotlib), interactive (Plotly), and the head explorer."""
