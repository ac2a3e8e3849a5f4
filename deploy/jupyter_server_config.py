"""Jupyter Server settings for every server of the class's JupyterHub
(deploy/jupyterhub_config.py puts this folder on JUPYTER_CONFIG_PATH).

jupyterhub-singleuser forbids every page of a user's server from being
shown in a frame (``frame-ancestors 'none'``) unless a policy is set;
nbgrader's Formgrader is a page of the instructor's own server shown in a
frame of their JupyterLab, so allow frames of the same server only.
"""
c = get_config()  # noqa: F821

c.ServerApp.tornado_settings = {
    "headers": {"Content-Security-Policy": "frame-ancestors 'self'"},
}
