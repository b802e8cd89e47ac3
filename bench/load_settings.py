"""Settings for ``bench/load.py``'s gunicorn: the project's settings with the benchmark's URLconf
(``bench/pages_urls.py``: the app's URLs plus the bare staff-only reference view). Never used
outside the benchmark."""

from taper_clinic.settings import *  # noqa: F403

ROOT_URLCONF = "bench.pages_urls"
