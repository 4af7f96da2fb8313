"""Performance reviews (考核): indicators, scorecards per period, review exports."""
