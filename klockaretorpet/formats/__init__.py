"""The portal's date formats (FORMAT_MODULE_PATH), so every page writes a date the same way.

Templates and code name these formats (`|date:"DATE_FORMAT"`, `date_format(value,
"DATETIME_FORMAT")`) rather than spelling out a pattern: a date reads “4 december 2026”, a moment
“4 december 2026 14:05”, a month “mars 2024”. English uses the same order (“4 December 2026
14:05”) so a page reads the same in either language."""
