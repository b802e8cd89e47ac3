# One image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint needs Pango (and HarfBuzz subsetting) plus a font.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . \
 && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput

RUN useradd --create-home taper && mkdir -p /data/private && chown -R taper /data
USER taper

EXPOSE 8000
# gunicorn.conf.py: bind, workers, and an access log without query strings (no search terms).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "taper_clinic.wsgi"]
