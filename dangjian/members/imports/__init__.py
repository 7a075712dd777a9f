"""The member roster import: the template, reading a file, checking every row, the preview, the
error file and the write.

Every row is checked by the form a person fills in on the page (MemberForm), so a row's errors are
the errors the page gives, named by row and column. Three checks are made for a whole column at
once instead of once per row, with the same rules and the same messages (test_import compares
them): branch, group, community and categories are looked up in objects loaded once for the file,
and "already registered" is one query for the whole ID-number column. Validating 50 rows or 5,000
costs the same number of queries.

Nothing here writes until `write_rows`, which runs after every row has passed, in one transaction.
"""

from .checking import Check, CheckedRow, check_content, check_sheet
from .columns import (
    ALREADY_REGISTERED,
    BROKEN_FILE,
    COLUMNS,
    HELP_SHEET,
    KIND,
    LISTS_SHEET,
    MAX_STORED_ERRORS,
    MESSAGES_COLUMN,
    NEW,
    SHEET,
    UNCHANGED,
    UPDATED,
    Column,
    FileRefused,
    column_title,
    error_entry,
    error_sentence,
)
from .files import write_error_file, write_template
from .reading import SheetData, read_sheet
from .rows import Lookups, RowForm, load_lookups
from .writing import RowRefused, write_rows

__all__ = [
    "ALREADY_REGISTERED",
    "BROKEN_FILE",
    "COLUMNS",
    "HELP_SHEET",
    "KIND",
    "LISTS_SHEET",
    "MAX_STORED_ERRORS",
    "MESSAGES_COLUMN",
    "NEW",
    "SHEET",
    "UNCHANGED",
    "UPDATED",
    "Check",
    "CheckedRow",
    "Column",
    "FileRefused",
    "Lookups",
    "RowForm",
    "RowRefused",
    "SheetData",
    "check_content",
    "check_sheet",
    "column_title",
    "error_entry",
    "error_sentence",
    "load_lookups",
    "read_sheet",
    "write_error_file",
    "write_rows",
    "write_template",
]
