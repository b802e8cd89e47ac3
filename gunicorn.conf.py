"""Gunicorn settings for the web container (``gunicorn -c gunicorn.conf.py taper_clinic.wsgi``).

The access log has the method, the path *without* its query string (``%(U)s``, not ``%(r)s``
or ``%(q)s``) and no referrer (``%(f)s`` would carry the previous page's query): the patient
search puts a name in ``?q=``, and no patient data goes in logs.
"""

bind = "0.0.0.0:8000"
workers = 3
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)ss'
