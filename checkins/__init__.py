"""Weekly withdrawal check-ins.

For now only the pure :mod:`checkins.instruments` package lives here (standard library only).
The Django app (models, services, views, API) will be built around it later.
"""
