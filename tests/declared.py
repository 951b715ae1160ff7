"""Every card and every group of typed options the product declares, for the tests that check them all."""


def declared_option_groups():
    """Every declared group of options, by its catalogue namespace: each method's, strategy's and projection's
    own, and the run settings each page draws (``option.<namespace>.<name>.label|help``)."""
    from replearn_core.adaptation import ADAPT_METHODS
    from replearn_core.adaptation.job import SETTINGS as ADAPT_SETTINGS
    from replearn_core.cyclegan.config import SETTINGS as CYCLEGAN_SETTINGS
    from replearn_core.metric import METRIC_METHODS
    from replearn_core.metric import SETTINGS as METRIC_SETTINGS
    from replearn_core.projection import PROJECTIONS
    from replearn_core.ssl.lab import SETTINGS as SSL_SETTINGS
    from replearn_core.ssl.methods import METHODS
    from replearn_core.transfer import STRATEGIES

    groups = [(name, cls.options) for name, cls in METHODS.items()]
    groups += [(name, m.options) for name, m in METRIC_METHODS.items()]
    groups += [(key, s.options) for key, s in STRATEGIES.items()]
    groups += [(name, p.options) for name, p in PROJECTIONS.items()]
    groups += [("adapt", m.options) for m in ADAPT_METHODS.values()]
    groups += [("adapt", ADAPT_SETTINGS), ("cyclegan", CYCLEGAN_SETTINGS), ("metric", METRIC_SETTINGS),
               ("ssl", SSL_SETTINGS)]
    from replearn_core.incremental import SETTINGS as INCREMENTAL_SETTINGS
    from replearn_core.incremental import STRATEGIES as INCREMENTAL_STRATEGIES

    groups += [(key, s.options) for key, s in INCREMENTAL_STRATEGIES.items()]
    groups += [("incremental", INCREMENTAL_SETTINGS)]
    return groups


def declared_cards():
    """The card of every trainable thing: each SSL method, metric-learning loss, adaptation method, transfer
    strategy and incremental-learning strategy (replearn_core.cards.Card)."""
    from replearn_core.adaptation import ADAPT_METHODS
    from replearn_core.metric import METRIC_METHODS
    from replearn_core.ssl.methods import METHODS
    from replearn_core.transfer import STRATEGIES

    from replearn_core.incremental import STRATEGIES as INCREMENTAL_STRATEGIES

    return ([cls.card() for cls in METHODS.values()] + [m.card() for m in METRIC_METHODS.values()]
            + [m.card() for m in ADAPT_METHODS.values()] + [s.card() for s in STRATEGIES.values()]
            + [s.card() for s in INCREMENTAL_STRATEGIES.values()])


def declared_texts() -> dict[str, str]:
    """Every English text declared in code, by its catalogue key: each card's title and summary (and a method's
    paper), each declared option's label and help, each claim's source, setting and explanations. Read from the
    registries, so a new method, strategy or claim is covered without a line here; ``zh.json`` translates each
    under the same key and ``en.json`` copies none."""
    from replearn_core.claims.catalogue import CLAIMS

    texts = {f"{card.key}.{part}": getattr(card, part) for card in declared_cards() for part in ("title", "summary")}
    texts |= {f"{card.key}.paper": card.paper for card in declared_cards() if card.key.startswith("method.")}
    texts |= {f"option.{namespace}.{o.name}.{part}": getattr(o, part)
              for namespace, options in declared_option_groups() for o in options for part in ("label", "help")}
    texts |= {key: text for claim in CLAIMS for key, text in claim.texts().items()}
    return texts
