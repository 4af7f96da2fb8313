"""`fieldbook import ...`"""

from flask.cli import AppGroup

import_cli = AppGroup("import", help="Import data exported from the operator's billing/CRM systems.")
