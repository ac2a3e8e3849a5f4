"""JupyterHub for a class on one server (docs/instructors.md, "A class on
JupyterHub").

Local Unix accounts log in with their password (PAM).  Members of the
student group get a JupyterLab in their home folder with nbgrader's
Assignment List (fetch, submit, fetch feedback) and none of the
instructor panels; members of the instructor group get a JupyterLab in
their clone of the course with the Formgrader, Create Assignment and the
Course List.  Everyone's server runs the class environment's
``jupyterhub-singleuser`` (this hub's own Python: install JupyterHub into
the class environment), and everyone shares one nbgrader exchange.

Start it as root, from the folder that holds the hub's state (its
database and cookie secret), with the class environment first on PATH:

    cd /srv/jupyterhub
    /opt/nn-course/bin/jupyterhub -f /etc/nn-course/jupyterhub_config.py

Settings come from the environment (defaults in brackets):

- NBGRADER_EXCHANGE [/srv/nbgrader/exchange]: the shared exchange; made
  (mode 1777) when missing.
- CLASS_COURSE_ID [nn-from-the-derivative-up]: nbgrader's course id.
- CLASS_STUDENT_GROUP [nn-students], CLASS_INSTRUCTOR_GROUP
  [nn-instructors]: the Unix groups whose members may log in; the
  instructor group's members get the instructor lab.
- CLASS_INSTRUCTOR_COURSE [nn-from-the-derivative-up]: the instructor's
  course folder (the clone holding nbgrader_config.py), relative to
  their home.
- CLASS_HUB_URL [http://:8000]: where the hub listens (put HTTPS in
  front of it, or set ``c.JupyterHub.ssl_cert``/``ssl_key``).
"""
import grp
import os
import pwd
import sys
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner

from autograder.lab import mode_options, settings_dir

c = get_config()  # noqa: F821

HERE = Path(__file__).resolve().parent
CLASS_ENV = Path(sys.prefix)
EXCHANGE = Path(os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange"))
COURSE_ID = os.environ.get("CLASS_COURSE_ID", "nn-from-the-derivative-up")
STUDENTS = os.environ.get("CLASS_STUDENT_GROUP", "nn-students")
INSTRUCTORS = os.environ.get("CLASS_INSTRUCTOR_GROUP", "nn-instructors")
INSTRUCTOR_COURSE = os.environ.get("CLASS_INSTRUCTOR_COURSE",
                                   "nn-from-the-derivative-up")

# --------------------------------------------------------------- log in
c.JupyterHub.bind_url = os.environ.get("CLASS_HUB_URL", "http://:8000")
c.JupyterHub.authenticator_class = "pam"
# Only the class's groups; accounts are made by the system's
# administrator (useradd, usermod -aG GROUP), never by the hub.
c.PAMAuthenticator.allowed_groups = {STUDENTS, INSTRUCTORS}
c.LocalAuthenticator.create_system_users = False
# PAM sessions (pam_systemd and friends) are not needed and often fail
# outside a login shell.
c.PAMAuthenticator.open_sessions = False


def _members(group):
    """The Unix group's members (its supplementary list and every account
    whose primary group it is)."""
    try:
        entry = grp.getgrnam(group)
    except KeyError:
        return set()
    return set(entry.gr_mem) | {user.pw_name for user in pwd.getpwall()
                                if user.pw_gid == entry.gr_gid}


def _is_instructor(name):
    return name in _members(INSTRUCTORS)


# ------------------------------------------------------ groups and roles
# JupyterHub groups mirror the Unix groups as they are when the hub
# starts (restart the hub after adding an instructor).  The lab a user
# gets is decided from the Unix groups at each spawn.
c.JupyterHub.load_groups = {
    "students": {"users": sorted(_members(STUDENTS))},
    "instructors": {"users": sorted(_members(INSTRUCTORS))},
}
c.JupyterHub.load_roles = [
    {"name": "student", "description": "their own server only",
     "scopes": ["self"], "groups": ["students"]},
    {"name": "instructor",
     "description": "their server; who in the class is active",
     "scopes": ["self", "admin-ui", "list:users!group=students",
                "read:users!group=students",
                "read:servers!group=students"],
     "groups": ["instructors"]},
]

# ---------------------------------------------------- the shared exchange
if not EXCHANGE.exists():
    EXCHANGE.mkdir(parents=True)
    EXCHANGE.chmod(0o1777)  # nbgrader's exchange: everyone, sticky


# ------------------------------------------------------ the user servers
class ClassSpawner(LocalProcessSpawner):
    """The class environment's server, in the user's home (a student) or
    course (an instructor: nbgrader reads the course's configuration
    from the folder the server starts in)."""

    def make_preexec_fn(self, name):
        become = super().make_preexec_fn(name)
        folder = self.notebook_dir

        def preexec():
            become()  # now the user, in their home
            if folder:
                os.chdir(folder)

        return preexec


def _pre_spawn(spawner):
    name = spawner.user.name
    home = Path(pwd.getpwnam(name).pw_dir)
    instructor = _is_instructor(name)
    course = home / INSTRUCTOR_COURSE
    if instructor and (course / "nbgrader_config.py").is_file():
        spawner.notebook_dir = str(course)
    else:
        if instructor:
            spawner.log.warning("%s: no course in %s; the Formgrader "
                                "needs one", name, course)
        spawner.notebook_dir = str(home)
    spawner.args = mode_options(LAB_SETTINGS[instructor], instructor)


# The JupyterLab page config of each mode (the student's turns the
# instructor panels off), written where every account can read it.
LAB_SETTINGS = {mode: settings_dir(HERE, mode) for mode in (False, True)}

c.JupyterHub.spawner_class = ClassSpawner
c.Spawner.cmd = [str(CLASS_ENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.pre_spawn_hook = _pre_spawn
c.Spawner.environment = {
    "PATH": f"{CLASS_ENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    # nbgrader's exchange and course id for everyone (nbgrader_config.py
    # beside this file); the instructor's course configuration reads the
    # same NBGRADER_EXCHANGE.
    "NBGRADER_EXCHANGE": str(EXCHANGE),
    "CLASS_COURSE_ID": COURSE_ID,
    "JUPYTER_CONFIG_PATH": str(HERE),
}
# A lab that opens a few notebooks and grades a chapter.
c.Spawner.mem_limit = None
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120
# Idle servers keep running until the hub is stopped; see
# jupyterhub-idle-culler in docs/instructors.md for a large class.
