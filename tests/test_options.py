"""Method options are declared and typed: a typo or a wrong value is an error that names it, defaults are filled in,
and the page and command line draw them from the declaration (issue 10)."""

import pytest

from replearn_core.options import Option, default_options, resolve_options
from replearn_core.ssl.config import TrainConfig
from replearn_core.ssl.methods import METHODS
from tests.declared import declared_cards, declared_option_groups

DECLARED = (Option("stop_gradient", True, "Stop-gradient", "h"),
            Option("queue_size", 2048, "Queue", "h", low=16, high=65536),
            Option("momentum", 0.99, "Momentum", "h", low=0.0, high=1.0),
            Option("target", "structure", "Target", "h", choices=("structure", "pixels")))


def test_missing_options_get_their_defaults_and_given_ones_their_types():
    values = resolve_options(DECLARED, {"queue_size": "512", "momentum": "0.9", "stop_gradient": "false"}, "m")
    assert values == {"stop_gradient": False, "queue_size": 512, "momentum": 0.9, "target": "structure"}
    assert type(values["queue_size"]) is int and type(values["momentum"]) is float
    assert resolve_options(DECLARED, None, "m") == default_options(DECLARED)


@pytest.mark.parametrize("given, message", [
    ({"stop_gradeint": False}, r"unknown option 'stop_gradeint' for m; its options: stop_gradient, queue_size"),
    ({"stop_gradient": "maybe"}, "stop_gradient must be true or false"),
    ({"stop_gradient": 1}, "stop_gradient must be true or false"),
    ({"queue_size": 100.5}, "queue_size must be a whole number"),
    ({"queue_size": True}, "queue_size must be a whole number"),
    ({"queue_size": 8}, "queue_size must be between 16 and 65536"),
    ({"momentum": "fast"}, "momentum must be a number"),
    ({"momentum": 1.5}, "momentum must be between 0 and 1"),
    ({"target": "colour"}, "target must be one of structure, pixels"),
])
def test_a_wrong_name_or_value_is_an_error_that_names_it(given, message):
    with pytest.raises(ValueError, match=message):
        resolve_options(DECLARED, given, "m")


def test_a_misspelt_option_of_a_run_is_refused_before_it_runs():
    with pytest.raises(ValueError, match="unknown option 'stop_gradeint' for simsiam"):
        TrainConfig(method="simsiam", options={"stop_gradeint": False}).validate(METHODS)
    with pytest.raises(ValueError, match="its options: none"):
        TrainConfig(method="simclr", options={"momentum": 0.9}).validate(METHODS)


def test_a_validated_config_stores_every_option_of_its_method():
    config = TrainConfig(method="moco", options={"queue_size": 4096}).validate(METHODS)
    assert config.options == {"momentum": 0.99, "queue_size": 4096}


def test_every_declared_option_is_complete_and_its_default_valid():
    groups = declared_option_groups()
    assert {namespace for namespace, _ in groups} >= {"adapt", "cyclegan", "metric", "ssl", "partial", "umap"}
    for namespace, options in groups:
        for option in options:
            assert option.label and option.help, (namespace, option.name)
            assert option.coerce(option.default) == option.default, (namespace, option.name)
            assert option.kind in (bool, int, float, str)


def test_every_registry_gives_a_complete_card_of_the_same_kind():
    from replearn_core.cards import Card

    cards = declared_cards()
    assert {card.key.split(".")[0] for card in cards} == {"method", "metric_method", "adapt_method", "strategy",
                                                          "inc_strategy"}
    for card in cards:
        assert isinstance(card, Card) and card.title and card.summary, card.key
        assert all(isinstance(o, Option) for o in card.options), card.key
    assert len({card.key for card in cards}) == len(cards)


def test_a_number_with_listed_values_takes_only_those():
    size = Option("image_size", 64, "Image size", "h", values=(64, 128, 256))
    assert size.coerce("128") == 128 and size.accepts(256)
    assert not size.accepts(100) and not size.accepts("big")
    with pytest.raises(ValueError, match="image_size must be one of 64, 128, 256"):
        size.coerce(100)
    assert size.describe().startswith("image_size=64 (64|128|256)")


def test_a_setting_is_a_config_field_with_its_dataclass_default():
    from replearn_core.cyclegan.config import SETTINGS, CycleGANConfig
    from replearn_core.options import setting

    epochs = setting(CycleGANConfig, "epochs", "Epochs", "h", low=1, high=50)
    assert epochs.default == CycleGANConfig().epochs and epochs.kind is int
    defaults = CycleGANConfig()
    assert all(getattr(defaults, o.name) == o.default for o in SETTINGS)  # the page starts from the run's defaults


def test_the_command_line_help_lists_each_methods_options():
    import argparse

    from replearn_core.commands.train import add_arguments

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    text = " ".join(parser.format_help().split())
    for cls in METHODS.values():
        for option in cls.options:
            assert f"{option.name}={option.default}" in text
    assert "method: " + ", ".join(METHODS) in text
