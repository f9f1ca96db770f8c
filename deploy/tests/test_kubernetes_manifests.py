"""deploy/kubernetes/: every manifest is valid for the Kubernetes API, and keeps the container's contract.

Schema: kubernetes-validate's offline JSON schemas, strict (an unknown field is an error), for the
versions pinned in KUBERNETES_VERSIONS. Two rules the API server enforces cannot be written in its
OpenAPI schema: a probe or lifecycle hook has exactly one handler, and a Deployment's selector matches
its pod labels; api_server_rules() checks them. BROKEN lists deliberately wrong copies, each of which
must fail, so a check that stopped checking would show. The contract tests read the figures they
compare against from the sources (supervisord.conf, the Dockerfile, the Caddyfile, the README,
defaults.env, launch.py), not from constants here.
"""

from __future__ import annotations

import configparser
import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml  # type: ignore[import-untyped]
from checkout import DEPLOY_DIR, load_defaults

from edge_sidecar.config import effective_env, parse_runtime

# The oldest and the newest minor in upstream support when these manifests were written.
KUBERNETES_VERSIONS = ("1.35.0", "1.37.0")
MANIFESTS = DEPLOY_DIR / "kubernetes"
REPO = DEPLOY_DIR.parent
DEFAULT_STOPWAITSECS = 10  # supervisor/options.py, for a section that sets none

Doc = dict[str, Any]


def load_documents() -> list[tuple[str, Doc]]:
    docs = []
    for path in sorted(MANIFESTS.rglob("*.y*ml")):
        for index, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if doc is not None:
                docs.append((f"{path.relative_to(MANIFESTS)}#{index}", doc))
    return docs


DOCUMENTS = load_documents()


def only(kind: str) -> Doc:
    found = [doc for name, doc in DOCUMENTS if doc["kind"] == kind and not name.startswith("examples/")]
    assert len(found) == 1, f"expected one {kind} in deploy/kubernetes/, found {len(found)}"
    return found[0]


def pod_spec(doc: Doc) -> Doc:
    spec: Doc = doc["spec"]["template"]["spec"]
    return spec


def containers(doc: Doc) -> list[Doc]:
    found: list[Doc] = pod_spec(doc)["containers"]
    return found


def secret_refs(container: Doc) -> dict[str, Doc]:
    """Variable name -> its secretKeyRef."""
    env: list[Doc] = container["env"]
    return {item["name"]: item["valueFrom"]["secretKeyRef"] for item in env if "valueFrom" in item}


def probes(container: Doc) -> Iterator[tuple[str, Doc]]:
    for name in ("startupProbe", "readinessProbe", "livenessProbe"):
        if name in container:
            yield name, container[name]


def api_server_rules(doc: Doc) -> list[str]:
    """What the API server refuses beyond its schema (validation.go: "must specify a handler type")."""
    problems = []
    if doc.get("kind") == "Deployment":
        selector = doc["spec"]["selector"].get("matchLabels", {})
        labels = doc["spec"]["template"]["metadata"].get("labels", {})
        if any(labels.get(key) != value for key, value in selector.items()):
            problems.append("spec.selector does not match the pod template's labels")
        for container in containers(doc):
            hooks = [(f"lifecycle.{name}", hook) for name, hook in container.get("lifecycle", {}).items()]
            for where, handler in [*probes(container), *hooks]:
                kinds = sorted(set(handler) & {"exec", "grpc", "httpGet", "tcpSocket", "sleep"})
                if len(kinds) != 1:
                    problems.append(f"{container['name']}.{where} needs exactly one handler, has {kinds}")
    return problems


def problems(doc: Doc, version: str) -> list[str]:
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as err:
        return [f"{'.'.join(str(p) for p in err.path)}: {err.message}", *api_server_rules(doc)]
    except kubernetes_validate.SchemaNotFoundError as err:
        return [err.message, *api_server_rules(doc)]
    return api_server_rules(doc)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(("name", "doc"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_manifest_is_valid(name: str, doc: Doc, version: str) -> None:
    assert problems(doc, version) == []


def test_every_purpose_has_its_manifest() -> None:
    kinds = sorted(doc["kind"] for name, doc in DOCUMENTS if not name.startswith("examples/"))
    assert kinds == ["ConfigMap", "Deployment", "PodDisruptionBudget", "Service"]
    for path in MANIFESTS.rglob("*.y*ml"):
        assert path.read_text().startswith("# "), f"{path.name}: the first line says what it is"


# ---- deliberately broken copies: each must fail ----


def _container(doc: Doc) -> Doc:
    return containers(doc)[0]


def _rename(mapping: Doc, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def _two_handlers(doc: Doc) -> None:
    _container(doc)["livenessProbe"]["tcpSocket"] = {"port": "http"}


BROKEN: list[tuple[str, str, Callable[[Doc], object], str]] = [
    ("misspelled readinessProbe", "Deployment",
     lambda d: _rename(_container(d), "readinessProbe", "readinesProbe"), "'readinesProbe' was unexpected"),
    ("containerPort as a string", "Deployment",
     lambda d: _container(d)["ports"][0].update(containerPort="8080"), "'8080' is not of type 'integer'"),
    ("Deployment in the core group", "Deployment",
     lambda d: d.update(apiVersion="v1"), "Couldn't find schema for kind Deployment"),
    ("Deployment in a removed group", "Deployment",
     lambda d: d.update(apiVersion="extensions/v1beta1"), "Couldn't find schema for kind Deployment"),
    ("probe without a handler", "Deployment",
     lambda d: _container(d)["livenessProbe"].pop("httpGet"), "livenessProbe needs exactly one handler"),
    ("probe with two handlers", "Deployment", _two_handlers, "livenessProbe needs exactly one handler"),
    ("httpGet without a port", "Deployment",
     lambda d: _container(d)["readinessProbe"]["httpGet"].pop("port"), "'port' is a required property"),
    ("preStop without a handler", "Deployment",
     lambda d: _container(d)["lifecycle"]["preStop"].pop("sleep"), "lifecycle.preStop needs exactly one"),
    ("runAsUser as a string", "Deployment",
     lambda d: pod_spec(d)["securityContext"].update(runAsUser="10001"), "'10001' is not of type 'integer'"),
    ("capabilities drop as a string", "Deployment",
     lambda d: _container(d)["securityContext"]["capabilities"].update(drop="ALL"), "'ALL' is not of type"),
    ("selector not matching the pods", "Deployment",
     lambda d: d["spec"]["selector"]["matchLabels"].update({"app.kubernetes.io/name": "other"}),
     "spec.selector does not match"),
    ("env var without a name", "Deployment",
     lambda d: _container(d)["env"][0].pop("name"), "'name' is a required property"),
    ("ConfigMap value as a number", "ConfigMap",
     lambda d: d["data"].update(CORS_MAX_AGE=600), "600 is not of type 'string'"),
    ("Service port out of place", "Service",
     lambda d: _rename(d["spec"]["ports"][0], "targetPort", "hostPort"), "'hostPort' was unexpected"),
    ("PodDisruptionBudget field misspelled", "PodDisruptionBudget",
     lambda d: _rename(d["spec"], "minAvailable", "minAvailble"), "'minAvailble' was unexpected"),
]  # fmt: skip


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(("case", "kind", "breaks", "expected"), BROKEN, ids=[case[0] for case in BROKEN])
def test_broken_copy_fails(case: str, kind: str, breaks: Callable[[Doc], object], expected: str,
                           version: str) -> None:  # fmt: skip
    doc = copy.deepcopy(only(kind))
    breaks(doc)
    found = problems(doc, version)
    assert any(expected in problem for problem in found), f"{case}: expected {expected!r}, got {found}"


# ---- the container's contract, read from the sources ----


def named_port(container: Doc, port: int | str) -> int:
    if isinstance(port, int):
        return port
    numbers = [p["containerPort"] for p in container["ports"] if p.get("name") == port]
    assert len(numbers) == 1, f"port {port!r} names no containerPort"
    return int(numbers[0])


def endpoint_rows() -> dict[str, str]:
    """The README's endpoint table: path -> who answers it."""
    rows = re.findall(r"^\| `(/[^` ]*)` \| ([^|]+) \|", (REPO / "README.md").read_text(), re.MULTILINE)
    return {path: who.strip() for path, who in rows}


def test_probes_ask_what_the_endpoints_promise() -> None:
    deployment = only("Deployment")
    container = _container(deployment)
    endpoints = endpoint_rows()
    caddy_handles = set(re.findall(r"^\s*handle (/\S+) \{", (DEPLOY_DIR / "Caddyfile").read_text(), re.M))
    readiness = container["readinessProbe"]["httpGet"]["path"]
    # Readiness: the endpoint that is 200 only when proxy, API and DB are ready (Caddy -> /health/ready).
    assert readiness == "/health" and endpoints[readiness].startswith("Caddy → API")
    # Liveness (and startup): Caddy alone, so a database outage never restarts the pods.
    for name in ("livenessProbe", "startupProbe"):
        path = container[name]["httpGet"]["path"]
        assert path == "/health/proxy" and endpoints[path] == "Caddy alone", name
    assert {readiness, "/health/proxy"} <= caddy_handles
    for name, probe in probes(container):
        assert probe["timeoutSeconds"] >= 1 and probe["periodSeconds"] >= 1, name


def test_one_port_everywhere() -> None:
    container = _container(only("Deployment"))
    env = {item["name"]: item.get("value") for item in container["env"]}
    (container_port,) = {p["containerPort"] for p in container["ports"]}
    assert int(env["PORT"]) == container_port
    for name, probe in probes(container):
        assert named_port(container, probe["httpGet"]["port"]) == container_port, name
    (service_port,) = only("Service")["spec"]["ports"]
    assert service_port["port"] == 80 and named_port(container, service_port["targetPort"]) == container_port
    assert f"EXPOSE {container_port}" in (DEPLOY_DIR / "Dockerfile").read_text()


def test_service_and_budget_select_the_deployments_pods() -> None:
    labels = only("Deployment")["spec"]["template"]["metadata"]["labels"]
    assert only("Service")["spec"]["selector"].items() <= labels.items()
    assert only("PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= labels.items()


def worst_case_drain_seconds() -> int:
    """From SIGTERM to supervisord's exit at worst: it stops one program at a time, each until it exits
    or its stopwaitsecs ends with SIGKILL, so the waits of the programs that can run together add up."""
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(DEPLOY_DIR / "supervisord.conf")
    waits = {
        section.split(":", 1)[1]: conf.getint(section, "stopwaitsecs", fallback=DEFAULT_STOPWAITSECS)
        for section in conf.sections()
        if section.split(":", 1)[0] in ("program", "eventlistener")
    }
    # [program:direct] only ever runs in the proxy's place: the fallback stops the proxy, waiting for it,
    # before it starts direct (launch.py). So the longer of the two counts, not both.
    launch = (DEPLOY_DIR / "edge_sidecar" / "launch.py").read_text()
    assert launch.index('"stopProcess", "proxy", True') < launch.index('"startProcess", "direct"')
    return max(waits.pop("proxy"), waits.pop("direct")) + sum(waits.values())


def test_grace_period_covers_the_drain() -> None:
    spec = pod_spec(only("Deployment"))
    pre_stop = _container(only("Deployment"))["lifecycle"]["preStop"]["sleep"]["seconds"]
    # The grace period counts from the start of preStop; SIGTERM comes after it.
    assert spec["terminationGracePeriodSeconds"] >= pre_stop + worst_case_drain_seconds()
    assert worst_case_drain_seconds() == 60  # the arithmetic in deployment.yaml's comment


def test_runs_as_the_images_user() -> None:
    dockerfile = (DEPLOY_DIR / "Dockerfile").read_text()
    match = re.search(r"useradd --uid (\d+) --gid (\d+)", dockerfile)
    assert match, "the Dockerfile's useradd line"
    uid, gid = int(match[1]), int(match[2])
    assert f"USER {uid}:{gid}" in dockerfile
    deployment = only("Deployment")
    pod = pod_spec(deployment)["securityContext"]
    assert (pod["runAsUser"], pod["runAsGroup"], pod["runAsNonRoot"]) == (uid, gid, True)
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    own = _container(deployment)["securityContext"]
    assert own["allowPrivilegeEscalation"] is False and own["capabilities"] == {"drop": ["ALL"]}


def test_read_only_root_has_a_writable_tmp() -> None:
    deployment = only("Deployment")
    container = _container(deployment)
    if container["securityContext"].get("readOnlyRootFilesystem"):
        # launch.py puts supervisord's socket, the FIFOs and Caddy's data under tempfile.mkdtemp().
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]


def test_image_is_the_one_make_image_builds() -> None:
    match = re.search(r'image="\$\{IMAGE:-([^}]+)\}"', (DEPLOY_DIR / "image" / "build.sh").read_text())
    assert match and _container(only("Deployment"))["image"] == match[1]


def documented_variables() -> set[str]:
    readme = (REPO / "README.md").read_text()
    names = set()
    for first_cell in re.findall(r"^\| (`[A-Z][A-Z0-9_]*`[^|]*)\|", readme, re.MULTILINE):
        names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names | set(load_defaults())


def test_every_variable_is_documented() -> None:
    container = _container(only("Deployment"))
    set_here = {
        *(item["name"] for item in container["env"]),
        *(ref["key"] for ref in secret_refs(container).values()),
        *only("ConfigMap")["data"],
        *(key for _, doc in DOCUMENTS if doc["kind"] == "Secret" for key in doc["stringData"]),
    }
    assert set_here - documented_variables() == set()


def test_references_resolve() -> None:
    container = _container(only("Deployment"))
    (config_ref,) = container["envFrom"]
    assert config_ref["configMapRef"]["name"] == only("ConfigMap")["metadata"]["name"]
    (example,) = [doc for _, doc in DOCUMENTS if doc["kind"] == "Secret"]
    for name, ref in secret_refs(container).items():
        assert ref["name"] == example["metadata"]["name"] and ref["key"] in example["stringData"]
        assert ref["key"] == name


def test_no_secret_is_committed() -> None:
    for name, doc in DOCUMENTS:
        if doc["kind"] != "Secret":
            continue
        # Only the example, outside what `kubectl apply -f deploy/kubernetes/` applies (no recursion).
        assert re.fullmatch(r"examples/[^/]+\.example\.yaml#\d+", name), name
        assert "data" not in doc, f"{name}: base64 data hides what it is; use stringData placeholders"
        for key, value in doc["stringData"].items():
            assert "PLACEHOLDER" in value, f"{name}: {key} is not an obvious placeholder"


def test_the_entrypoint_accepts_this_configuration() -> None:
    """The variables a pod gets (ConfigMap, env, the example Secret's keys) pass the entrypoint's checks."""
    container = _container(only("Deployment"))
    (example,) = [doc for _, doc in DOCUMENTS if doc["kind"] == "Secret"]
    env = {
        **only("ConfigMap")["data"],
        **{item["name"]: item["value"] for item in container["env"] if "value" in item},
        **{name: example["stringData"][ref["key"]] for name, ref in secret_refs(container).items()},
    }
    defaults = load_defaults()
    config = parse_runtime(effective_env(env, defaults))
    assert config.port == container["ports"][0]["containerPort"]
    assert env["TRUSTED_PROXIES"] != defaults["TRUSTED_PROXIES"], "Railway's edge range is not the ingress"
    assert env["DATABASE_URL"].startswith("postgresql://"), "replicas share one database"
