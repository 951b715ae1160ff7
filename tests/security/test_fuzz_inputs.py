"""Random values through the command line's parser and the run configurations' validators: every one is either
accepted or answered with one ``error:`` line, never a traceback.

The commands and their flags are read from the parser itself (:func:`replearn_core.cli.build_parser`), so a
flag added later is fuzzed too. Each example stops at validation (:func:`replearn_core.cli.parse_and_validate`):
nothing trains and nothing is stored. Values are what a hostile student types: numbers (nan, inf, huge,
negative, hexadecimal, other scripts' digits), any unicode text, recipe JSON of any shape, option KEY=VALUE
pairs with the declared names; beside them each flag's own default and choices, so that a draw gets past the
first check often enough to reach the deeper ones.
"""

import argparse
import io
import json
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from replearn_core.adaptation.job import AdaptConfig
from replearn_core.augment import AUGMENTATIONS, RECIPE_FIELDS
from replearn_core.backbones import BACKBONES
from replearn_core.cli import build_parser, parse_and_validate
from replearn_core.cyclegan.config import CycleGANConfig
from replearn_core.metric import METRIC_METHODS
from replearn_core.metric.config import MetricConfig
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS
from replearn_core.transfer import STRATEGIES
from replearn_core.transfer.config import SupervisedConfig, TransferConfig

FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
BUILT = build_parser()


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """{command name: its parser}, read from the parser (argparse keeps them on its sub-parsers action)."""
    [action] = [a for a in BUILT[0]._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


COMMANDS = subcommands()


def _folders() -> dict[str, str]:
    """folder: datasets of every size that matters: none, one image, one image per class, enough."""
    root = Path(tempfile.mkdtemp(prefix="replearn_fuzz_"))
    sizes = {"empty": {}, "one": {"cat": 1}, "one_each": {"cat": 1, "dog": 1}, "enough": {"cat": 4, "dog": 4}}
    for name, classes in sizes.items():
        (root / name).mkdir()
        for label, n in classes.items():
            (root / name / label).mkdir()
            for i in range(n):
                Image.new("RGB", (16, 16), (40 * i, 90, 200)).save(root / name / label / f"{i}.png")
    return {name: f"folder:{root / name}" for name in sizes} | {"missing": f"folder:{root / 'missing'}"}


FOLDERS = _folders()
OPTION_NAMES = sorted({o.name for registry in (METHODS, METRIC_METHODS) for m in registry.values() for o in m.options})

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**40, 10**40).map(str),
    st.sampled_from(["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "0", "-0", "1e-320",
                     "0x10", "1_000", " 3 ", "٣", "2.5", "1e3", "4096", "4097", "65536"]))
texts = st.text(max_size=16)
json_values = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=True, allow_infinity=True) |
                           st.integers(-10**20, 10**20) | st.text(max_size=10),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4),
                           max_leaves=5)
recipe_rows = st.dictionaries(st.sampled_from([*RECIPE_FIELDS, "prob", ""]),
                              st.sampled_from(sorted(AUGMENTATIONS)) | json_values, max_size=4)
recipes = st.one_of(st.lists(recipe_rows, max_size=3), json_values).map(json.dumps)
recipe_texts = recipes | st.text(max_size=20)
options = st.tuples(st.sampled_from(OPTION_NAMES) | st.text(max_size=8), numbers | texts).map("=".join) | texts
devices = st.sampled_from(["cpu", "cuda", "cuda:0", "cuda:7", "mps", "tpu", "auto", "CPU", "", "cuda:x"])
datasets = st.sampled_from(["shapes", "digits", "printed-digits", "fruit", *FOLDERS.values()]) | texts

# values worth drawing beside random ones, for flags whose valid values are names (by destination)
KNOWN = {"method": st.sampled_from([*METHODS, *METRIC_METHODS, "all", "pca", "tsne", "umap"]),
         "backbone": st.sampled_from(list(BACKBONES)), "device": devices,
         "dataset": datasets, "eval_dataset": datasets, "source": datasets, "target": datasets,
         "strategies": st.lists(st.sampled_from(list(STRATEGIES)) | texts, max_size=4).map(",".join),
         "fractions": st.lists(numbers, max_size=4).map(",".join), "recipe": recipe_texts, "option": options}


def value_for(action: argparse.Action):
    """What to give one flag: its default or choices, the known names of its kind, or anything at all."""
    picks = [numbers, texts]
    if action.type in (int, float):  # in and near the usual ranges, so the checks after the parser are reached
        picks += [st.integers(-2, 600).map(str), st.floats(-1.5, 1.5).map(repr)]
    if action.default not in (None, argparse.SUPPRESS) and not isinstance(action.default, (list, bool)):
        picks.append(st.just(str(action.default)))
    if action.choices:
        picks.append(st.sampled_from([str(c) for c in action.choices]))
    if action.dest in KNOWN:
        picks += [KNOWN[action.dest]] * 3
    return st.one_of(picks)


@st.composite
def command_lines(draw) -> list[str]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    parser = COMMANDS[name]
    actions = [a for a in parser._actions if not isinstance(a, (argparse._HelpAction, argparse._VersionAction))]
    required = [a for a in actions if a.required or not a.option_strings]
    optional = [a for a in actions if a not in required]
    argv = [name]
    for action in required + [optional[i] for i in draw(st.sets(st.integers(0, len(optional) - 1), max_size=6))]:
        if not action.option_strings:  # a positional: one or two values
            argv += draw(st.lists(texts.filter(lambda t: not t.startswith("-")), min_size=1, max_size=2))
            continue
        flag = draw(st.sampled_from(action.option_strings))
        if action.nargs == 0:
            argv.append(flag)
            continue
        value = draw(value_for(action))
        argv += [f"{flag}={value}"] if value.startswith("-") or draw(st.booleans()) else [flag, value]
    return argv


def assert_accepted_or_one_error_line(run) -> None:
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        try:
            run()
            code = 0
        except SystemExit as exc:
            code = exc.code
    text = err.getvalue()
    assert "Traceback" not in text, text
    if code == 0:
        assert text == "", text
        return
    assert code == 2, (code, text)
    lines = text.rstrip("\n").split("\n")
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1 and lines[-1] == errors[0], text  # usage lines (argparse's) may come before it


@FUZZ
@given(argv=command_lines())
def test_random_command_lines_are_accepted_or_one_error_line(argv):
    assert_accepted_or_one_error_line(lambda: parse_and_validate(argv, BUILT))


VALIDATORS = [(TrainConfig, lambda c: c.validate(METHODS)), (MetricConfig, lambda c: c.validate(METRIC_METHODS)),
              (TransferConfig, lambda c: c.validate(STRATEGIES)), (SupervisedConfig, SupervisedConfig.validate),
              (CycleGANConfig, CycleGANConfig.validate), (AdaptConfig, AdaptConfig.validate)]
any_value = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
                      st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                      st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.integers() | st.text(max_size=5),
                               max_size=3),
                      st.dictionaries(st.sampled_from(OPTION_NAMES) | st.text(max_size=5),
                                      st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=5),
                                      max_size=3),
                      st.lists(recipe_rows, max_size=3), devices, datasets)


@FUZZ
@given(data=st.data())
def test_random_settings_through_every_run_configuration_are_accepted_or_one_clear_error(data):
    """The validators the pages call too: a setting of any type and value is accepted or a ValueError."""
    cls, validate = data.draw(st.sampled_from(VALIDATORS))
    names = [f for f in cls.__dataclass_fields__]
    chosen = data.draw(st.sets(st.sampled_from(names), max_size=5))
    known = {"method": KNOWN["method"], "backbone": KNOWN["backbone"], "strategies": st.lists(
        st.sampled_from(list(STRATEGIES)), min_size=1, max_size=3)}
    values = {name: data.draw(known[name] | any_value if name in known else any_value) for name in chosen}
    try:
        validate(cls.from_dict(values))
    except ValueError as exc:
        assert str(exc).strip(), repr(exc)
