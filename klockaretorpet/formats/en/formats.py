# The Swedish order and the 24-hour clock, instead of Django's American defaults ("Dec. 4, 2026,
# 2:05 p.m."), so switching language changes only the month names.
DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y H:i"
YEAR_MONTH_FORMAT = "F Y"
