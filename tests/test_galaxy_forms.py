"""The Galaxy forms (galaxy_tools/enhancer_sk/*.xml): preset values generated from the presets module,
no sliders on optional numbers, the preset only where it applies, grouped secondary outputs."""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from enhancer_sk.presets import MODEL_NAMES, NETWORKS, PRESETS, build_model

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / "galaxy_tools" / "enhancer_sk"
MACROS = TOOLS / "macros.xml"
XML_FILES = sorted(TOOLS.glob("*.xml"))
TOOL_FILES = [p for p in XML_FILES if p.name != "macros.xml"]


def _make_macros():
    spec = importlib.util.spec_from_file_location("make_macros", REPO / "galaxy_tools" / "make_macros.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _defined_tokens() -> dict[str, str]:
    return {t.get("name"): t.text or "" for t in ET.parse(MACROS).getroot().iter("token")}


def _params(path: Path):
    return ET.parse(path).getroot().iter("param")


def test_macros_xml_is_up_to_date_with_the_presets():
    make_macros = _make_macros()
    current = MACROS.read_text(encoding="utf-8")
    if make_macros.render(current) != current:
        pytest.fail("galaxy_tools/enhancer_sk/macros.xml is out of date with enhancer_sk/presets.py: "
                    "run .venv/bin/python galaxy_tools/make_macros.py")


def test_generated_help_names_each_presets_values():
    tokens = _defined_tokens()
    for name in NETWORKS:
        for preset in PRESETS:
            model = build_model(name, preset=preset)
            assert f"{preset}: {model.max_epochs}" in tokens[f"@PRESET_{name.upper()}_EPOCHS@"] \
                or f"({model.max_epochs} in both presets)" in tokens[f"@PRESET_{name.upper()}_EPOCHS@"]
            assert f"{model.lr:g}" in tokens[f"@PRESET_{name.upper()}_LR@"]
            assert str(model.batch_size) in tokens[f"@PRESET_{name.upper()}_BATCH_SIZE@"]
    assert "4conv2pool" in tokens["@PRESET_DEEPENHANCER_ARCHITECTURE@"]
    assert "the median training length" in tokens["@PRESET_LSTMATT_LENGTH@"]
    table = tokens["@HELP_PRESETS@"]
    assert "lstmatt, fast" in table and "deepenhancer, full" in table


def test_every_generated_token_used_is_defined():
    tokens = _defined_tokens()
    used = set()
    for path in XML_FILES:
        text = path.read_text(encoding="utf-8")
        # tokens built from a macro's model token are counted below
        used |= set(re.findall(r"@(?:PRESET|DEFAULT)_[A-Z_]+@", re.sub(r"@[A-Z_]*@MODEL@[A-Z_]*@", "", text)))
        for model in re.findall(r'<expand macro="svm_c_param" [^>]*model="([^"]*)"', text):
            assert model.lower() in MODEL_NAMES and model.lower() not in NETWORKS, f"{path.name}: model={model!r}"
            used.add(f"@DEFAULT_C_{model}@")
        # @PRESET_@MODEL@_FIELD@ in a macro with a model token: one token per network
        for field in re.findall(r"@PRESET_@MODEL@_([A-Z_]+)@", text):
            used |= {f"@PRESET_{name.upper()}_{field}@" for name in NETWORKS}
        for model in re.findall(r'<expand macro="(?:training_params|strands_ensemble_params)" model="([^"]*)"', text):
            assert model.lower() in NETWORKS, f"{path.name}: model={model!r} is not one of {NETWORKS}"
    assert used, "no preset token is used"
    missing = sorted(used - set(tokens))
    assert not missing, f"tokens used but not defined in macros.xml: {missing}"


def test_form_defaults_are_the_models_defaults():
    # the required fields of kmer and gkm start at the value the command line uses when the flag is absent
    defaults = {param.get("argument"): param.get("value") for param in _params(MACROS)}
    assert int(defaults["--kmer-k"]) == build_model("kmer").k
    gkm = build_model("gkm")
    assert [int(defaults[f"--gkm-{x}"]) for x in "lkd"] == [gkm.l, gkm.k, gkm.d]


def test_empty_means_a_named_value():
    for path in XML_FILES:
        for param in _params(path):
            help_text = param.get("help") or ""
            assert not re.search(r"preset's value\.?$", help_text), \
                f"{path.name} {param.get('argument') or param.get('name')}: name the preset's values"


def test_no_slider_on_optional_numbers():
    # Galaxy draws a slider when min and max are both set; its knob suggests a value the field does not have
    for path in XML_FILES:
        for param in _params(path):
            if param.get("type") in ("integer", "float") and param.get("optional") == "true":
                name = param.get("argument") or param.get("name")
                assert param.get("max") is None or param.get("min") is None, f"{path.name} {name}: slider"


def test_preset_only_in_network_sections():
    for path in XML_FILES:
        root = ET.parse(path).getroot()
        parents = {child: parent for parent in root.iter() for child in parent}
        for expand in root.iter("expand"):
            if expand.get("macro") == "preset_param":
                parent = parents[expand]
                assert parent.tag == "section" and parent.get("name") == "network", \
                    f"{path.name}: the preset outside a network section"


def test_train_history_only_for_networks():
    root = ET.parse(TOOLS / "train.xml").getroot()
    history = next(d for d in root.iter("data") if d.get("name") == "history")
    condition = history.find("filter").text
    assert all(f"'{name}'" in condition for name in NETWORKS)
    command = root.find("command").text
    assert re.search(r"#if [^\n]*'lstmatt'[^\n]*\n\s*--history", command)


@pytest.mark.parametrize("tool", ["cv", "compare"])
def test_secondary_outputs_in_one_collection(tool):
    root = ET.parse(TOOLS / f"{tool}.xml").getroot()
    outputs = root.find("outputs")
    assert [d.get("name") for d in outputs.iter("data")] == ["summary", "report"]
    assert [c.get("name") for c in outputs.iter("collection")] == ["details"]
    assert all(d.find("filter") is None for d in outputs.iter("data")), "the report is always written"
    command = root.find("command").text
    written = set(re.findall(r"details/(\w+)\.(?:tsv|png)", command))
    named = {e.get("name") for c in root.find("tests").iter("output_collection") for e in c.iter("element")}
    assert named and named <= written, f"test elements {named - written} are not written by the command"
    counts = {int(c.get("count")) for c in root.find("tests").iter("output_collection")}
    assert counts == {len(written)}


def test_html_report_help_in_one_place():
    tokens = _defined_tokens()
    assert "sanitise" in tokens["@HELP_HTML_REPORT@"]
    for tool in ("cv", "compare"):
        assert "@HELP_HTML_REPORT@" in (TOOLS / f"{tool}.xml").read_text(encoding="utf-8")
