"""nbgrader's class-wide settings for every account of the class's
JupyterHub (deploy/jupyterhub_config.py puts this folder on
JUPYTER_CONFIG_PATH): where the exchange is and which course a student's
Assignment List shows.  An instructor's course configuration
(autograder/nbgrader_config.py) is read after this one and agrees.
"""
import os

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = os.environ.get("CLASS_COURSE_ID",
                                             "nn-from-the-derivative-up")
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE",
                                 "/srv/nbgrader/exchange")
c.Exchange.path_includes_course = True
