"""Risk-based pricing: the rate card by grade, complete contract terms, and an APR (fees
included) that never exceeds the legal cap, whatever the product, grade, amount and term."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from lending_events.terms import ContractTerms
from lending_underwriting.adapters.policy_file import load_policy_book
from lending_underwriting.domain.pricing import price

BOOK = load_policy_book()
START = date(2025, 3, 3)


def test_the_rate_is_the_grades_card_rate_when_the_apr_is_within_the_cap():
    policy = BOOK.products["personal-credit"]
    offer = price(BOOK, policy, "B", D("20000.00"), 24, "monthly", START)
    assert offer.annual_rate == policy.rate_card["B"] and not offer.capped
    terms = ContractTerms.model_validate(offer.terms)
    assert terms.total_fees == D("200.00")  # 1% origination, withheld from the payout
    assert terms.fees[0].deducted_from_disbursement
    assert terms.total_repayable == sum(i.total for i in terms.schedule)
    assert terms.total_cost == terms.total_interest + terms.total_fees
    assert D(0) < terms.apr - terms.annual_rate < D("0.02")  # the fee shows in the APR


def test_a_rate_whose_apr_breaks_the_cap_is_lowered_to_the_highest_legal_rate():
    policy = BOOK.products["personal-credit"]
    offer = price(BOOK, policy, "E", D("3000.00"), 3, "monthly", START)
    assert offer.capped and offer.annual_rate < policy.rate_card["E"]
    assert offer.apr_exact <= BOOK.legal_apr_cap
    one_bp_more = replace(policy, rate_card={**policy.rate_card,
                                             "E": offer.annual_rate + D("0.0001")})
    above = price(replace(BOOK, legal_apr_cap=D("10")), one_bp_more, "E", D("3000.00"), 3,
                  "monthly", START)
    assert above.apr_exact > BOOK.legal_apr_cap  # so the chosen rate is the highest legal one


def test_fees_alone_above_the_cap_leave_no_legal_price():
    policy = BOOK.products["personal-credit"]
    greedy = replace(policy, fees=(replace(policy.fees[0], rate=D("0.0500")),))
    assert price(BOOK, greedy, "A", D("1000.00"), 3, "monthly", START) is None


def test_a_receivables_advance_is_one_bullet_with_its_service_fee():
    policy = BOOK.products["receivables-finance"]
    offer = price(BOOK, policy, "C", D("100000.00"), 60, "at_maturity", START)
    terms = ContractTerms.model_validate(offer.terms)
    assert len(terms.schedule) == 1 and terms.maturity_date == date(2025, 5, 2)
    assert terms.schedule[0].fees == D("500.00") and terms.apr <= D("0.24")


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_no_offer_ever_discloses_an_apr_above_the_legal_cap(data):
    code = data.draw(st.sampled_from(sorted(BOOK.products)))
    policy = BOOK.products[code]
    grade = data.draw(st.sampled_from(sorted(policy.rate_card)))
    cents = data.draw(st.integers(int(policy.amount_min * 100), int(policy.amount_max * 100)))
    term = data.draw(st.integers(policy.term_min, policy.term_max))
    frequency = data.draw(st.sampled_from(policy.frequencies))
    cap = data.draw(st.sampled_from([D("0.24"), D("0.36"), D("0.15")]))
    book = replace(BOOK, legal_apr_cap=cap)
    offer = price(book, policy, grade, D(cents) / 100, term, frequency, START)
    if offer is None:  # no legal price: fees alone break the cap
        return
    assert offer.apr_exact <= cap and offer.apr <= cap
    assert offer.annual_rate <= policy.rate_card[grade]
    terms = ContractTerms.model_validate(offer.terms)
    assert terms.apr == offer.apr and terms.principal == D(cents) / 100
