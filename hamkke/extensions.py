"""Unbound extension singletons; `hamkke.app.create_app` binds them to an app."""

from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

from hamkke.db import db

migrate = Migrate()
socketio = SocketIO()
oauth = OAuth()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

__all__ = ["babel", "csrf", "db", "limiter", "migrate", "oauth", "socketio"]
