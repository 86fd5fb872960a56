"""The cleaner's rules on text they were not written from: they key on shapes, not strings."""

from __future__ import annotations

from pipeline.clean import clean_paragraphs
from pipeline.models import ArticleMetadata

ARTICLE = [
    "Flooding closes mountain passes as storm moves east",
    "Home > Weather > Europe",
    "By Maria Gonzalez and Tom Price",
    "Updated March 3, 2023",
    "Heavy rain forced the closure of three mountain passes on Tuesday, officials said, "
    "as the storm system moved east across the region toward the coast.",
    "Rescue teams reached two stranded villages by helicopter, the regional governor told "
    "reporters at an evening briefing in the provincial capital.",
    "A bridge damaged by the flood waters near the town of Ostrava (Photo: Jan Novak/CTK)",
    "Related: Storm warnings issued for the weekend",
    "Forecasters expect the rain to ease by Thursday, but warned that rivers could keep "
    "rising for several days after the storm has passed.",
    "Sign up for our daily weather newsletter",
    "Share this article",
    "© 2023 Example Media Group. All rights reserved.",
]


def test_general_rules_on_an_unseen_layout() -> None:
    result = clean_paragraphs(ARTICLE)
    assert result.metadata.title == ARTICLE[0]
    assert result.metadata.authors == ["Maria Gonzalez", "Tom Price"]
    assert result.metadata.published_at is not None
    assert result.metadata.published_at.date().isoformat() == "2023-03-03"
    assert result.paragraphs == [ARTICLE[4], ARTICLE[5], ARTICLE[8]]
    assert {r.rule for r in result.removals} >= {
        "navigation",
        "byline",
        "dateline",
        "caption",
        "promo",
        "prompt",
        "interface_text",
        "copyright",
    }


def test_sentences_that_merely_mention_boilerplate_words_stay() -> None:
    paragraphs = [
        "Voters who did not sign up before the deadline were turned away at several polling "
        "stations, election observers said on Sunday evening.",
        "Next year the council plans to review the rules, the mayor said.",
        "Read the full report on the ministry's website, the statement added, before the "
        "committee meets next month to discuss it.",
    ]
    assert clean_paragraphs(paragraphs).paragraphs == paragraphs


def test_repeated_sentence_inside_one_article_is_kept_when_not_adjacent() -> None:
    quote = "The ceasefire must hold, the envoy said in a statement on Monday morning."
    paragraphs = [
        quote,
        "Talks resumed in Geneva after a two-week pause, with both delegations present for "
        "the first time since the spring.",
        quote,
    ]
    assert clean_paragraphs(paragraphs).paragraphs == paragraphs


PROSE = [
    "The port authority approved a plan on Wednesday to deepen the main shipping channel, "
    "allowing larger container ships to dock without waiting for the high tide.",
    "Dredging will begin in the autumn and last about eighteen months, according to the "
    "authority's director, who said the work would be paid for by higher berth fees.",
    "Environmental groups said they would study the plan before deciding whether to challenge "
    "it in court, citing the risk to oyster beds at the mouth of the estuary.",
]


def test_furniture_of_another_page_layout() -> None:
    furniture = {
        "Skip to content": "navigation",
        "ALSO READ: Port strike ends after three weeks": "promo",
        "We use cookies to improve your experience. Accept cookies": "prompt",
        "Comments (12)": "prompt",
        "A container ship leaves the harbour at dawn (Photo: Reuters)": "caption",
        "Advertisement": "interface_text",
        "3 of 12": "gallery_counter",
        "* * *": "lone_punctuation",
        "Want more local news? Sign up for our free Harbour Daily newsletter and get the "
        "latest stories every morning.": "prompt",
        "This article originally appeared on Coastal Times and is republished here with "
        "permission.": "disclosure",
    }
    lines = ["Skip to content", PROSE[0], "3 of 12"]
    lines += [
        "A container ship leaves the harbour at dawn (Photo: Reuters)",
        "ALSO READ: Port strike ends after three weeks",
    ]
    lines += [PROSE[1], "Advertisement", "* * *", PROSE[2]]
    lines += [k for k in furniture if k not in lines]
    result = clean_paragraphs(lines)
    assert result.paragraphs == PROSE
    removed = {r.text: r.rule for r in result.removals}
    assert removed == furniture


def test_table_rows_stay_as_one_block_that_no_prose_rule_sees() -> None:
    # Short, no full stop, a run of such lines at the end: the prose rules would take these.
    rows = [("| Team | Played | Points |", "row"), ("| Rovers | 12 | 30 |", "row")]
    share_bar = ("| Share | Tweet | Email |", "row")
    result = clean_paragraphs([(PROSE[0], "p"), (PROSE[1], "p"), *rows, share_bar])
    assert result.paragraphs == [*PROSE[:2], "| Team | Played | Points |\n| Rovers | 12 | 30 |"]
    assert [(r.rule, r.text) for r in result.removals] == [("table_furniture", share_bar[0])]


def test_learned_and_general_rules_leave_quotes_and_numbers_intact() -> None:
    text = "“We are ready,” the director said — the plan costs €40 million ($43 million)."
    assert clean_paragraphs([PROSE[0], text]).paragraphs == [PROSE[0], text]


def test_credit_line_after_the_first_paragraph_is_not_a_byline() -> None:
    paragraphs = [
        "Dock strike halts container traffic in Kestrel Bay",
        "By Anna Lindqvist",
        "Harbour workers in the port of Kestrel Bay walked out on Monday over a pay offer "
        "that their union called an insult, halting container traffic for the day.",
        "The port authority said talks would resume on Wednesday.",
        "Reporting by Anna Lindqvist; Editing by Paul Okafor",
    ]
    result = clean_paragraphs(paragraphs)
    assert result.metadata.authors == ["Anna Lindqvist"]
    assert paragraphs[2] in result.paragraphs
    # The head reader takes the byline above the text, never the credit below it.
    assert [r.text for r in result.removals if r.rule == "byline"] == ["By Anna Lindqvist"]


def test_more_information_reference_line_goes() -> None:
    paragraphs = [
        "Engineers at a coastal research institute have built a tidal turbine whose blades "
        "bend with the current, which they say cuts wear on the gearbox by a third.",
        "More information: Priya Raman et al, Flexible blades for tidal turbines, Journal of "
        "Marine Energy (2024).",
    ]
    result = clean_paragraphs(paragraphs)
    assert result.paragraphs == paragraphs[:1]
    assert [r.rule for r in result.removals] == ["contact_footer"]


def test_headline_repeat_below_a_column_of_badges() -> None:
    title = "Glacier retreat uncovers a medieval trading path"
    paragraphs = [
        "March 2, 2024 feature",
        "verified",
        "expert-reviewed",
        "primary source",
        "copy-edited",
        "open data",
        title,
        "Melting ice in the Alps has exposed a stone-paved path that traders used to cross "
        "the pass seven centuries ago, archaeologists from the regional museum said.",
    ]
    result = clean_paragraphs(paragraphs, ArticleMetadata(title=title))
    assert result.paragraphs == paragraphs[-1:]
    assert "repeated_title" in {r.rule for r in result.removals}


def test_recommended_cards_with_the_headline_run_together_twice() -> None:
    body = [
        "The city council approved a plan on Tuesday to turn the old rail yard into a park, "
        "ending a decade of disputes over the land between developers and residents.",
        "Construction is expected to begin next spring, the mayor's office said, and the first "
        "section should open to the public by the summer of the following year.",
        "Residents who opposed the housing scheme said the vote was a victory for the "
        "neighbourhood, though some questioned how the park would be paid for.",
        "A local school has asked for a share of the land to be kept for sports pitches.",
        "Two members abstained, saying the costs had not been fully set out.",
        "The council will publish the design competition rules next month.",
    ]
    cards = [
        "Ferry Fares Rise Again Ferry Fares Rise Again",
        "Commuters face a third increase in two years as the operator blames fuel costs.",
        "Library Hours Cut for Summer Library Hours Cut for Summer",
        "Branches will close at five on weekdays until September.",
    ]
    result = clean_paragraphs(body + cards)
    assert result.paragraphs == body
    assert "trailing_teasers" in {r.rule for r in result.removals}


def test_sign_up_form_consent_goes_and_reported_terms_stay() -> None:
    paragraphs = [
        "The ferry operator changed its booking terms this week, and passengers must now "
        "agree to share their travel history before they can buy a season ticket.",
        "What is your email?",
        "This address will be used to sign in to all our titles. By submitting your email, "
        "you agree to our Terms and Privacy Policy and to receive email from us.",
    ]
    result = clean_paragraphs(paragraphs)
    assert result.paragraphs == paragraphs[:1]
    assert {r.rule for r in result.removals} == {"prompt"}


def test_author_bio_with_a_capitalised_job_title_goes_and_reporting_stays() -> None:
    story = [
        "The water board approved a rate rise of four percent on Monday, after a public "
        "hearing that ran late into the evening at the town hall.",
        "Residents who spoke at the hearing asked the board to phase the rise in over two "
        "years, and several said the increase would strain fixed incomes.",
        "Board chair Dana Ruiz said the money would pay for pipe repairs that could not wait.",
        "The board is an elected body and its reporter of minutes publishes them online.",
    ]
    bios = [
        "Lena Ortiz is the Senior Metro Editor at the Valley Ledger, where she oversees "
        "coverage of local government and schools.",
        "Sam Whitfield writes about housing and transport for the Valley Ledger.",
    ]
    result = clean_paragraphs(story + bios)
    assert result.paragraphs == story
    assert [r.rule for r in result.removals] == ["contact_footer", "contact_footer"]


def test_account_sign_up_form_goes() -> None:
    story = [
        "A teenage hacker was sentenced on Thursday for his part in leaking footage of an "
        "unreleased game, a court in the north of the country ruled.",
        "The judge said the risk he posed to the public remained high, and ordered that he "
        "stay in a secure hospital for the rest of his life unless doctors decide otherwise.",
    ]
    form = [
        "Lower case letters (a-z)",
        "Upper case letters (A-Z)",
        "Numbers (0-9)",
        "Special Characters (!@#$%^&*)",
        "At least 8 characters",
        "As part of your account, you'll receive occasional updates and offers from the "
        "Daily Example, which you can opt out of anytime.",
        "This site is protected by reCAPTCHA and the Google Privacy Policy and Terms apply.",
    ]
    result = clean_paragraphs(story[:1] + form + story[1:])
    assert result.paragraphs == story
    assert {r.rule for r in result.removals} == {"interface_text", "prompt"}


def test_a_long_headline_line_after_the_last_paragraph_goes() -> None:
    story = [
        "The city council approved the new budget on Tuesday after a debate that lasted into "
        "the early hours of the morning, with two members voting against it.",
        "The budget raises spending on road repairs by a fifth and freezes most fees, the "
        "finance committee chair told reporters after the vote.",
        "Opponents said the plan leaned too heavily on reserves that took a decade to build.",
    ]
    teasers = [
        "Essay: After My Parents Died, I Lost the Holiday Spirit Now It's Slowly Coming Back "
        "and Other Stories From Our Readers",
        "The Most Anticipated Books of the Year",
    ]
    assert clean_paragraphs(story + teasers).paragraphs == story


def test_provenance_notes_with_typographic_apostrophes_go() -> None:
    story = [
        "Researchers found that the crystals grew in layers, each one recording the water "
        "temperature at the time it formed, according to the study published on Monday.",
        "The team plans to test samples from three other coasts next year, the lead author said.",
    ]
    notes = [
        "Editor’s note (May 4th 2023): This article was updated to add the study's funding.",
        "Materials provided by the Institute of Marine Studies. Note: Content may be edited "
        "for style and length.",
    ]
    result = clean_paragraphs(story + notes)
    assert result.paragraphs == story
    assert {r.rule for r in result.removals} == {"disclosure"}


def test_an_article_about_passwords_keeps_its_lines() -> None:
    paragraphs = [
        "Bitwarden – Best free password manager for most people",
        "A password manager stores every login in an encrypted vault, so that you only have to "
        "remember one strong master password, security researchers say.",
        "Free vs. paid password managers",
        "Paid plans add family sharing and emergency access, but the free tiers of the best "
        "apps already sync across devices.",
    ]
    metadata = ArticleMetadata(title="How to keep your accounts safe this year")
    assert clean_paragraphs(paragraphs, metadata).paragraphs == paragraphs


def test_a_closing_list_of_sources_goes_but_a_sources_section_of_prose_stays() -> None:
    story = [
        "A video shared widely this week shows passengers singing to calm a man on a plane, "
        "but the people in it are actors, the account that first posted it confirmed.",
        "The same performers appear in other clips posted by the account, which describes "
        "itself as a drama club, and none of them were on a real flight.",
        "We rate the claim that the video shows a real passenger as false.",
    ]
    sources = [
        "Our Sources",
        "TikTok, post, Dec. 13, 2023",
        "Phone interview with the account owner, Dec. 21, 2023",
        "Support independent fact-checking.",
    ]
    result = clean_paragraphs(story + sources, ArticleMetadata(title="Plane video is staged"))
    assert result.paragraphs == story
    assert "end_matter" in {r.rule for r in result.removals}

    prose = [
        "Sources",
        "Two officials who spoke on condition of anonymity said the talks had stalled over the "
        "question of who would pay for the repairs, and that neither side expected a deal before "
        "the summer recess, when parliament breaks for eight weeks and committees stop meeting.",
    ]
    kept = clean_paragraphs(story + prose, ArticleMetadata(title="Talks stall")).paragraphs
    assert prose[1] in kept


def test_page_code_never_stays_in_a_body_and_prose_about_code_does() -> None:
    code = [
        '{"meta":{"blog":{"id":17,"name":"Harbour"},"post":{"id":2,"tags":["port","strike"]}}}',
        "window.googletag = window.googletag || {cmd: []};",
        "for (var rtiPartner in rtiData) { googletag.cmd.push(function() { load(rtiPartner); }); }",
        ".share-bar { display: flex; margin: 0 auto; } .share-bar a { color: #333; }",
        '</noscript><script id="kinja-data" type="application/json">{"meta":{}}</script>',
        '<div class="ad-slot"><iframe src="https://ads.example/frame"></iframe></div>',
    ]
    prose = [
        "Programmers at the agency wrote the rule as x = y; the auditors, in a report dated "
        "June 3, said it should have read x >= y instead.",
        "The council said the <b> tag in its old website let attackers inject text; it has "
        "since moved to a new content system.",
        "The document says the function of the board is to set fees; the court agreed.",
    ]
    result = clean_paragraphs([PROSE[0], *code[:3], PROSE[1], *prose, *code[3:], PROSE[2]])
    assert result.paragraphs == [PROSE[0], PROSE[1], *prose, PROSE[2]]
    assert [(r.rule, r.text) for r in result.removals] == [("page_code", c) for c in code]
