"""The floor of the empty pull: a bare Flask endpoint, served by the same gunicorn set-up.

gunicorn bench.bare_wsgi:app   (bench/run.py starts it)
"""

from flask import Flask

app = Flask(__name__)


@app.get("/api/v1/sync/pull")
def pull():
    return {"changes": [], "cursor": "c", "has_more": False, "last_acknowledged_seq": 0}
