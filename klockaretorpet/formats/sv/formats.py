# Written out, never abbreviated ("4 dec."), nor numeric in running text; Django's Swedish
# defaults already are, and are pinned here so an upgrade cannot change every page at once.
DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y H:i"
YEAR_MONTH_FORMAT = "F Y"
