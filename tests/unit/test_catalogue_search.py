"""The precomputed keys the catalogue listing is answered from (no database needed)."""

from app.catalogue.service import (
    MAX_SEARCH_LENGTH,
    facet_key,
    facets,
    search_keys,
    search_term,
)


def test_latin_names_are_searchable_from_the_start_of_any_word_case_insensitively():
    keys = search_keys("Company Establishment")
    assert {"c", "company", "company est", "establishment", "est"} <= set(keys)
    assert "stablishment" not in keys and "ompany" not in keys


def test_chinese_names_are_searchable_from_any_character():
    keys = search_keys(None, "企业开办")
    assert {"企", "企业", "业开", "开办", "企业开办", "办"} <= set(keys)


def test_full_width_and_spacing_variants_meet_the_same_key():
    assert search_term("  ＣＯＭＰＡＮＹ   est ") == "company est"
    assert "company est" in search_keys("Company   Establishment")
    assert "(" not in "".join(k[0] for k in search_keys("Marriage (mainland)"))


def test_keys_and_terms_are_capped_at_the_same_length():
    name = "Registration of a very long administrative procedure name"
    assert max(len(k) for k in search_keys(name)) <= MAX_SEARCH_LENGTH
    term = search_term(name)
    assert len(term) <= MAX_SEARCH_LENGTH and term in search_keys(name)


def test_every_filter_combination_is_one_facet_key():
    doc = {
        "region": "330100",
        "category": "company",
        "audience": ["person", "enterprise"],
        "max_visits": 0,
    }
    keys = facets(doc)
    assert len(keys) == 2 * 2 * 3 * 2
    assert facet_key(None, None, None, None) in keys
    assert facet_key("330100", "company", "enterprise", 0) in keys
    assert facet_key(None, None, "person", None) in keys
    assert facet_key("330000", None, None, None) not in keys
    assert facet_key(None, None, None, 1) not in keys
