"""The ceiling bench/ceiling.py measures dashsnap against: a bare Flask app served by waitress with 8 threads.

    .venv/bin/python bench/bare_app.py PORT STORED_FILE

GET /hello answers a tiny JSON, POST /echo parses the JSON body with the json module and answers a tiny JSON,
GET /bytes/<n> answers the first n bytes of STORED_FILE, read from the file on every request.
"""
from __future__ import annotations

import json
import sys

from flask import Flask, Response, request
from waitress import serve


def create_app(stored_file: str) -> Flask:
    app = Flask(__name__)

    @app.get("/hello")
    def hello():
        return {"message": "hello"}

    @app.post("/echo")
    def echo():
        json.loads(request.get_data())
        return {"message": "parsed"}

    @app.get("/bytes/<int:count>")
    def stored_bytes(count: int):
        with open(stored_file, "rb") as stored:
            return Response(stored.read(count), mimetype="application/json")

    return app


if __name__ == "__main__":
    serve(create_app(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), threads=8)
