"""Application object for servers that import it by name (uvicorn workers, gunicorn).

Settings come from the environment, so set P3BM_DATABASE_URL before starting.
"""

from p3bm.settings import load_settings
from p3bm.web.app import create_app

app = create_app(load_settings())
