"""The probes that judge configuration files with the real parser of their format, on real files:
xl.cfg with Xen's libxlutil, xen-tools.conf with xen-create-image --debug, Terraform HCL with
python-hcl2, clouds.yaml with openstacksdk's loader, Kubernetes manifests with PyYAML and the API
server's typing rules. A file changed between two checks is read anew
(the parsers run once per content, checkers/probes/parsed.py)."""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess
from pathlib import Path

import pytest

from checkers.probes import FAIL, PASS, run_probe
from checkers.session import ShellSession


def _outcome(shell: ShellSession, probe: str, **args: object) -> tuple[str, str]:
    verdict = run_probe(shell, probe, args)
    return verdict.outcome, verdict.seen


@pytest.mark.skipif(not ctypes.util.find_library("xlutil"), reason="needs libxlutil (xen-utils)")
def test_xl_cfg_as_xl_reads_it(local_shell: ShellSession, tmp_path: Path) -> None:
    cfg = tmp_path / "guest.cfg"
    cfg.write_text(
        'name = "web"\nmemory = "0x200"\nvcpus = 2 ; type = "pv"\n'
        "disk = [ 'phy:/dev/vg/web,xvda,w', 'format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/x.iso', ]\n"
        "vif = [ '  bridge=xenbr0, mac=00:16:3e:00:00:01', 'bridge = xenbr1', '\tbridge=xenbr2', 'bridge=xenbr3 ' ]\n"
    )
    path = str(cfg)
    assert _outcome(local_shell, "xen.cfg", path=path, key="memory", equals="512")[0] == PASS  # a number as xl reads it
    assert _outcome(local_shell, "xen.cfg", path=path, key="type", equals="pv")[0] == PASS
    assert _outcome(local_shell, "xen.cfg", path=path, key="disk.0.pdev_path", equals="/dev/vg/web")[0] == PASS
    assert _outcome(local_shell, "xen.cfg", path=path, key="disk.vdev=hdc.is_cdrom", equals="1")[0] == PASS
    assert _outcome(local_shell, "xen.cfg", path=path, key="disk.vdev=hdc.readwrite", equals="1")[0] == FAIL
    assert _outcome(local_shell, "xen.cfg", path=path, key="vif.0.bridge", equals="xenbr0")[0] == PASS
    # xl drops only spaces before an item and matches "bridge=" as written: these set no bridge, or a blank in it
    for index, bridge in enumerate(["xenbr1", "xenbr2", "xenbr3"], start=1):
        assert _outcome(local_shell, "xen.cfg", path=path, key=f"vif.{index}.bridge", equals=bridge)[0] == FAIL
    assert _outcome(local_shell, "xen.cfg", path=path, key="maxmem", equals="512") == (FAIL, "maxmem = absent")
    # a setting left out is judged by xl's default where the check names it; one in the file by its value
    assert _outcome(local_shell, "xen.cfg", path=path, key="vnc", equals="1", unset="1")[0] == PASS
    assert _outcome(local_shell, "xen.cfg", path=path, key="vnc", equals="1", unset="0")[0] == FAIL
    assert _outcome(local_shell, "xen.cfg", path=path, key="memory", equals="1024", unset="1024")[0] == FAIL
    # any matcher: a range judges the number xl reads, a pattern the text as written
    assert _outcome(local_shell, "xen.cfg", path=path, key="memory", between=[256, 1024]) == (PASS, "memory = 512")
    assert _outcome(local_shell, "xen.cfg", path=path, key="memory", matches="0x[0-9a-f]+")[0] == PASS
    assert _outcome(local_shell, "xen.cfg", path=path, key="vnc", absent=True) == (PASS, "vnc = absent")
    assert _outcome(local_shell, "xen.cfg", path=path, key="vnc", unset="1", **{"not": {"equals": "0"}})[0] == PASS
    # target= not last: the rest of the spec becomes the path and xl finds no vdev
    cfg.write_text("name = \"web\"\ndisk = [ 'target=/dev/vg/web, vdev=xvda' ]\n")
    outcome, seen = _outcome(local_shell, "xen.cfg", path=path, key="disk.0.vdev", equals="xvda")
    assert outcome == FAIL and "no vdev specified" in seen
    cfg.write_text("name = web\n")  # a bare word: xl's syntax error, with the line
    outcome, seen = _outcome(local_shell, "xen.cfg", path=path, key="name", equals="web")
    assert outcome == FAIL and f"{path}:1: config parsing error" in seen


@pytest.mark.skipif(not shutil.which("xen-create-image"), reason="needs xen-tools (xen-create-image)")
def test_xen_tools_config_as_xen_create_image_reads_it(local_shell: ShellSession, tmp_path: Path) -> None:
    conf = tmp_path / "xen-tools.conf"
    conf.write_text("lvm = vg_test\nsize=12G # root\nsize = 16G\n")
    path = str(conf)
    assert _outcome(local_shell, "xen.tools_config", config=path, key="size", equals="16G")[0] == PASS
    assert _outcome(local_shell, "xen.tools_config", config=path, key="lvm", equals="vg_test")[0] == PASS
    assert _outcome(local_shell, "xen.tools_config", config=path, key="dir", equals="")[0] == PASS
    assert _outcome(local_shell, "xen.tools_config", config=path, key="size", matches="1[26]G")[0] == PASS
    unlisted = _outcome(local_shell, "xen.tools_config", config=path, key="no_such", absent=True)
    assert unlisted == (PASS, "no_such = absent")
    conf.write_text("dir = /srv/xen\n")
    assert _outcome(local_shell, "xen.tools_config", config=path, key="lvm", equals="vg_test")[0] == FAIL
    assert _outcome(local_shell, "xen.tools_config", config=path, key="dir", equals="/srv/xen")[0] == PASS


def test_terraform_files_of_a_folder_read_as_one(local_shell: ShellSession, tmp_path: Path) -> None:
    (tmp_path / "provider.tf").write_text('provider libvirt {\n  uri = "qemu:///system"\n}\n')
    (tmp_path / "vm.tf").write_text(
        'resource "libvirt_volume" "root" {\n  pool = "default"\n}\n'
        'resource "libvirt_domain" "web" {\n  vcpu = "2"\n  disk {\n    volume_id = libvirt_volume.root.id\n  }\n}\n'
    )
    path = str(tmp_path)
    assert _outcome(local_shell, "hcl.key", path=path, key="provider.libvirt.uri", equals="qemu:///system")[0] == PASS
    assert _outcome(local_shell, "hcl.key", path=path, key="resource.libvirt_domain.web.vcpu", equals="2")[0] == PASS
    ref = "${libvirt_volume.root.id}"
    key = "resource.libvirt_domain.web.disk.0.volume_id"
    assert _outcome(local_shell, "hcl.key", path=path, key=key, equals=ref)[0] == PASS
    (tmp_path / "vm.tf").write_text('resource "libvirt_domain" "web" {\n  vcpu = \n}\n')
    outcome, seen = _outcome(local_shell, "hcl.key", path=path, key="provider.libvirt.uri", equals="qemu:///system")
    assert outcome == FAIL and f"{tmp_path}/vm.tf:2: not valid HCL" in seen
    # var.X and local.X are judged as Terraform fills them without -var: tfvars files, else the default
    (tmp_path / "vm.tf").write_text(
        'variable "cpus" {\n  default = 1\n}\nlocals {\n  net = "lab"\n}\n'
        'resource "libvirt_domain" "web" {\n  vcpu = var.cpus\n'
        "  network_interface {\n    network_name = local.net\n  }\n}\n"
    )
    net = "resource.libvirt_domain.web.network_interface.0.network_name"
    assert _outcome(local_shell, "hcl.key", path=path, key=net, equals="lab")[0] == PASS
    assert _outcome(local_shell, "hcl.key", path=path, key="resource.libvirt_domain.web.vcpu", equals="1")[0] == PASS
    (tmp_path / "terraform.tfvars").write_text("cpus = 2\n")
    (tmp_path / "z.auto.tfvars").write_text("cpus = 4\n")
    assert _outcome(local_shell, "hcl.key", path=path, key="resource.libvirt_domain.web.vcpu", equals="4")[0] == PASS
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _outcome(local_shell, "hcl.key", path=str(empty), key="a", equals="b") == (FAIL, f"no *.tf file in {empty}")


@pytest.mark.skipif(
    subprocess.run(["/usr/bin/python3", "-c", "import openstack.config"], capture_output=True).returncode != 0,
    reason="needs openstacksdk (python3-openstacksdk)",
)
def test_clouds_yaml_as_openstacksdk_reads_it(local_shell: ShellSession, tmp_path: Path) -> None:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        "clouds:\n  lab:\n    auth_url: https://k.example:5000/v3/\n    project-name: web\n"
        "    regions: [RegionTwo]\n    endpoint_type: internal\n"
    )
    path = str(clouds)
    for key, value in [
        ("auth.auth_url", "https://k.example:5000/v3"),  # moved into auth by the loader; keystoneauth drops the /
        ("auth.project_name", "web"),
        ("region_name", "RegionTwo"),
        ("interface", "internal"),
    ]:
        assert _outcome(local_shell, "openstack.cloud", path=path, cloud="lab", key=key, equals=value)[0] == PASS, key
    outcome, seen = _outcome(local_shell, "openstack.cloud", path=path, cloud="prod", key="region_name", equals="x")
    assert outcome == FAIL and "prod" in seen


def test_kubernetes_manifests_judged_as_the_api_server_takes_them(local_shell: ShellSession, tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: '3'\n"
        "  selector:\n    matchLabels: {app: web}\n    matchExpressions: [{key: tier, operator: NotIn, values: [db]}]\n"
        "  template:\n    metadata: {labels: {app: web, tier: front, app.kubernetes.io/name: web-app}}\n"
        "    spec:\n      containers:\n"
        "      - {name: web, image: nginx:1.25, ports: [{name: http, containerPort: 8080}],"
        " resources: {limits: {memory: 134217728}}}\n---\n"
    )
    (tmp_path / "svc.json").write_text(
        '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Service", "metadata":'
        ' {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"},'
        ' {"port": 81, "targetPort": "nope"}, {"port": 8080}]}}]}'
    )
    (tmp_path / "notes.txt").write_text("not: [a manifest")  # kubectl apply -f DIR reads only .json, .yaml, .yml
    path, web = str(tmp_path), {"kind": "Deployment", "name": "web"}
    container = "spec.template.spec.containers.name=web"
    field = {"path": path, **web}
    assert _outcome(local_shell, "kube.field", **field, key="apiVersion", equals="apps/v1")[0] == PASS
    labels = "spec.template.metadata.labels"  # a key with dots in it, as Kubernetes' recommended labels have
    assert (
        _outcome(local_shell, "kube.field", **field, key=f"{labels}.app.kubernetes.io/name", equals="web-app")[0]
        == PASS
    )
    assert _outcome(local_shell, "kube.field", **field, key=f"{labels}.app.kubernetes.io", absent=True)[0] == PASS
    outcome, seen = _outcome(local_shell, "kube.field", **field, key="spec.replicas", type="integer", equals="3")
    assert outcome == FAIL and "not an integer" in seen
    memory = f"{container}.resources.limits.memory"
    assert _outcome(local_shell, "kube.field", **field, key=memory, type="quantity", equals="128Mi")[0] == PASS
    assert _outcome(local_shell, "kube.field", **field, key=memory, type="quantity", equals="128M")[0] == FAIL
    image = f"{container}.image"
    full = "docker.io/library/nginx:1.25"
    assert _outcome(local_shell, "kube.field", **field, key=image, type="image", equals=full)[0] == PASS
    assert _outcome(local_shell, "kube.field", **field, key=image, type="image", equals="nginx")[0] == FAIL  # :latest
    # any matcher, on the normal form: a registry-qualified pattern, a range of amounts, a field left out
    assert (
        _outcome(local_shell, "kube.field", **field, key=image, type="image", matches="docker.io/.*:1\\.2[0-9]")[0]
        == PASS
    )
    in_range = _outcome(local_shell, "kube.field", **field, key=memory, type="quantity", between=[1e8, 2e8])
    assert in_range == (PASS, f"{memory} = 134217728")
    assert _outcome(local_shell, "kube.field", **field, key="spec.paused", absent=True) == (
        PASS,
        "spec.paused = absent",
    )
    port = f"{container}.ports.containerPort=8080.containerPort"
    assert _outcome(local_shell, "kube.field", **field, key=port, type="integer", equals="8080")[0] == PASS
    assert _outcome(local_shell, "kube.selects", path=path, **web, workload="Deployment/web")[0] == PASS
    service = {"kind": "Service", "name": "web"}
    assert _outcome(local_shell, "kube.selects", path=path, **service, workload="Deployment/web")[0] == PASS
    target = {"path": path, "service": "web", "workload": "Deployment/web"}
    assert _outcome(local_shell, "kube.target_port", **target, port="80", equals="8080")[0] == PASS  # by name
    assert _outcome(local_shell, "kube.target_port", **target, port="8080", equals="8080")[0] == PASS  # port's own
    outcome, seen = _outcome(local_shell, "kube.target_port", **target, port="81", equals="8080")
    assert outcome == FAIL and "no container port has that name" in seen
    # a selector that asks for a label the pods lack; a key written twice; a tab; the same object twice
    text = (tmp_path / "web.yaml").read_text()
    (tmp_path / "web.yaml").write_text(text.replace("operator: NotIn", "operator: In"))
    outcome, seen = _outcome(local_shell, "kube.selects", path=path, **web, workload="Deployment/web")
    assert outcome == FAIL and "not matched: tier In" in seen
    (tmp_path / "web.yaml").write_text(text.replace("  replicas: '3'\n", "  replicas: 3\n  replicas: 2\n"))
    outcome, seen = _outcome(local_shell, "kube.field", **field, key="apiVersion", equals="apps/v1")
    assert outcome == FAIL and "web.yaml:7: not valid YAML" in seen and "twice" in seen
    (tmp_path / "web.yaml").write_text(text.replace("metadata: {name: web}\n", "metadata:\n\tname: web\n"))
    assert "not valid YAML" in _outcome(local_shell, "kube.field", **field, key="kind", equals="Deployment")[1]
    (tmp_path / "web.yaml").write_text(text + text)
    outcome, seen = _outcome(local_shell, "kube.field", **field, key="apiVersion", equals="apps/v1")
    assert outcome == FAIL and "defined 2 times" in seen
