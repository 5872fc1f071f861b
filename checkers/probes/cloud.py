"""OpenStack: a cloud of a ``clouds.yaml`` file as openstacksdk's own configuration loader reads it.

No OpenStack cloud is reachable here, and the ``openstack`` client has no offline check of the file;
but the loader every OpenStack client uses (``openstack.config.loader.OpenStackConfig``) works offline:
it reads the file, merges a cloud's settings with its defaults, normalises spellings (``project-name``
and ``project_name``, a one-item ``regions`` list and ``region_name``) and says which cloud is missing.
So a check asks it on the target (python3 with openstacksdk, Debian's python3-openstacksdk), reading
that one file and nothing else (no environment variables, no vendor or secure files).
"""

from __future__ import annotations

import shlex

from checkers.probes.matchers import Match
from checkers.probes.parsed import Key, python_answer, remembered
from checkers.probes.registry import MATCHER, Arg, Verdict, probe
from checkers.probes.values import shown, walk
from checkers.shell import Shell

# argv: the file, the cloud. Prints {"error": ...} or {"config": the merged settings, "interface": ...}.
_LOAD = r"""
import json, sys
try:
    from openstack.config import loader
except ImportError:
    print(json.dumps({"error": "openstacksdk is not installed (python3-openstacksdk)"}))
    sys.exit(0)
try:
    config = loader.OpenStackConfig(
        config_files=[sys.argv[1]], vendor_files=[], secure_files=[], load_envvars=False, load_yaml_config=True
    )
    cloud = config.get_one(cloud=sys.argv[2])
    print(json.dumps({"config": cloud.config, "interface": cloud.get_interface()}, default=str))
except Exception as exc:
    print(json.dumps({"error": "%s: %s" % (type(exc).__name__, " ".join(str(exc).split()))}))
"""

_LOADED: dict[Key, dict[str, object]] = {}


def _loaded(shell: Shell, path: str, cloud: str) -> dict[str, object]:
    quoted = shlex.quote(path)
    text = shell.run(f"cat {quoted}", merge=False)
    if text.status != 0:
        return {"error": f"cannot read {path}: {(text.errors or text.output).strip() or 'no such file'}"}

    def load() -> dict[str, object]:
        return python_answer(shell, _LOAD, (path, cloud), "the loader")

    return remembered(_LOADED, (f"{path}\0{cloud}", text.status, text.output), load)


@probe(
    "openstack.cloud",
    "a setting of a cloud in clouds.yaml as openstacksdk's config loader reads it (offline)",
    path=Arg(str, help="absolute path of the clouds.yaml file on the target"),
    cloud=Arg(str, help="the cloud's name (a key under clouds:)"),
    key=Arg(
        str,
        help="dotted key of the merged settings: auth.auth_url, auth.project_name, auth.username, region_name, "
        "identity_api_version, auth_type; 'interface' as the clients use it; auth.auth_url without a trailing /",
    ),
    **MATCHER,
)
def openstack_cloud(shell: Shell, path: str, cloud: str, key: str, **match: object) -> Verdict:
    matcher = Match.of(match)
    wanted = f"{path}, cloud {cloud}: {key} {matcher.describe()}"
    answer = _loaded(shell, path, cloud)
    if "error" in answer:
        return Verdict(False, wanted, f"openstacksdk cannot use it: {answer['error']}")
    found = answer["interface"] if key == "interface" else walk(answer.get("config"), key)
    if key == "auth.auth_url" and isinstance(found, str):
        found = found.rstrip("/")  # keystoneauth strips it before adding /auth/tokens: .../v3/ is .../v3
    return Verdict(matcher.judge(found), wanted, f"{key} = {shown(found)}")
