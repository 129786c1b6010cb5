"""Small hand-kept word lists the text edits need, so nothing is downloaded at run time.

They are deliberately short and cover common English news vocabulary; every concept that uses a
list also takes extra entries from its config (e.g. ``nouns``, ``verbs``, ``misspellings``), so a
domain with other words can extend them without editing this file. Noun plurals come from the
``inflect`` package, which handles irregular forms (child -> children) for user-given nouns too.
"""

from __future__ import annotations


def _split(block: str) -> tuple[str, ...]:
    """The whitespace-separated words of a block, so long lists read as prose."""
    return tuple(block.split())


STOP_WORDS = frozenset(
    _split(
        """
    a about above after again against all am an and any are as at be because been before being
    below between both but by could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours yourself yourselves
    """
    )
)
"""Function words: dropping them keeps the content words but breaks the grammar around them.
The negations ("no", "nor"; "not" too) are left out: "no damage" -> "damage" says the opposite,
and drop_stopwords keeps meaning (only ``negate`` changes it)."""

OPENERS = frozenset(
    _split(
        """
    across along also although amid among another anybody anyone anything around away behind
    beside besides beyond despite either else even ever every everybody everyone everything
    finally however instead later let like maybe meanwhile much near nearly next now often
    perhaps plus rather recently since somebody someone sometimes somewhere soon still though
    thus today together tomorrow tonight toward towards upon whatever whenever whether within
    without worth yet yesterday
    big early earlier first heavy high large last late latest local low major many new old
    recent second several small third
    """
    )
)
"""Words other than :data:`STOP_WORDS` that open English sentences and are no names: the
determiners, pronouns, prepositions, conjunctions and adverbs the stop words leave out, and the
commonest adjectives a news sentence opens with ("Heavy rain flooded ...", "Local leaders ...").
``negate``'s prefix lowers them ("It is not true that heavy rain ..."); a first word outside
both lists keeps its capital unless the text also writes it in lower case: without a
dictionary, "Anna smiled at Bob." may open with a name."""

ENGLISH_MARKERS = frozenset(_split("the and with from this that which"))
"""Stop words that French, Spanish, German, Dutch or Italian text never writes ("a", "in",
"was" and "on" are words there too): texts with none of them are likely not English, so
``drop_stopwords`` and ``misspell``, whose lists and rules are English, say so."""

DONE = frozenset(
    _split(
        """
    a an the it this that these those them me him her us my your his its our their some any
    something anything everything what so as more less well better again now
    """
    )
)
"""Words after a command's "Do" that make "do" its verb ("Do it now", "Do the dishes"); before
anything else it stresses the verb after it ("Do come in" -> "Do not come in")."""

PARTICIPLES = frozenset(
    _split(
        """
    been gone done seen made said told got gotten given taken known shown grown thrown come
    become run won lost left kept held met paid sent spent built bought brought thought taught
    caught sold found had heard put set cut let hit read led fed felt sat stood understood begun
    drunk sung swum rung eaten fallen forgotten hidden ridden risen written broken chosen spoken
    stolen woken frozen driven beaten bitten flown drawn worn torn sworn born borne fought sought
    dealt meant slept struck hung shut spread quit bet burst cast cost hurt shed split upset dug
    stuck spun lit laid fled bled sped lent bent dreamt learnt burnt spelt overcome withdrawn
    arisen forgiven mistaken shaken undertaken undergone forbidden proven sunk shrunk slid
    """
    )
)
"""Irregular past participles: after "has" or "had" one keeps it an auxiliary for ``negate``
("He has won." -> "He has not won."); a regular one ends in "-ed" ("The council has voted.")."""

NEGATIONS = frozenset(_split("no nor not never neither nobody none nothing nowhere cannot"))
"""Words that turn a sentence's meaning around: deleting one says the opposite ("was not
approved" -> "was approved"), so word deletions skip them, and contractions ending in "n't"
(see :func:`~ffade_text.functional.words.is_negation`); only ``negate`` changes meaning."""

NOUNS = _split(
    """
    agency agreement analyst area army attack bank bill board bridge budget building business
    candidate car case centre century change child church city class club coach community company
    council country county court crime crowd day deal decision department director district
    doctor driver economy election employee event expert factory family farm farmer festival
    fire firm game government group hospital house index industry island job judge law leader
    league library market match mayor meeting member minister month museum nation officer
    official park party patient plan player policy price prison program project
    protest rate region report resident result river road rule school scientist season sector
    senator service ship shop site squad stadium station storm street student study survey
    system tax team teacher test town trade train trial union university vehicle village vote
    voter week woman man worker year person
    """
)
"""Singular nouns whose number singular_plural may flip (their plurals are derived)."""

AUXILIARIES = _split(
    "am is are was were will would can could should shall may might must has have had does do did"
)
"""Verbs a negation attaches to: "was" -> "was not", "am" -> "am not"."""

VERBS = tuple(
    tuple(row.split())
    for row in """
    accept accepts accepted
    add adds added
    agree agrees agreed
    announce announces announced
    approve approves approved
    arrest arrests arrested
    ask asks asked
    attend attends attended
    begin begins began
    block blocks blocked
    build builds built
    buy buys bought
    call calls called
    cancel cancels cancelled
    celebrate celebrates celebrated
    claim claims claimed
    close closes closed
    complete completes completed
    confirm confirms confirmed
    decide decides decided
    declare declares declared
    defeat defeats defeated
    deny denies denied
    destroy destroys destroyed
    discover discovers discovered
    drop drops dropped
    earn earns earned
    elect elects elected
    end ends ended
    expand expands expanded
    face faces faced
    fall falls fell
    find finds found
    finish finishes finished
    give gives gave
    grow grows grew
    hire hires hired
    hold holds held
    increase increases increased
    introduce introduces introduced
    invest invests invested
    launch launches launched
    lead leads led
    leave leaves left
    lose loses lost
    make makes made
    meet meets met
    move moves moved
    open opens opened
    order orders ordered
    plan plans planned
    praise praises praised
    promise promises promised
    propose proposes proposed
    protest protests protested
    raise raises raised
    receive receives received
    reject rejects rejected
    release releases released
    report reports reported
    rescue rescues rescued
    rise rises rose
    say says said
    score scores scored
    sell sells sold
    sign signs signed
    start starts started
    struggle struggles struggled
    suffer suffers suffered
    support supports supported
    take takes took
    tell tells told
    unveil unveils unveiled
    visit visits visited
    vote votes voted
    warn warns warned
    win wins won
    """.strip().splitlines()
)
"""(base, third person singular present, simple past) of common news verbs.

Verbs whose past equals their base (cut, put, set) are left out: their tense cannot be told apart.
"""

MISSPELLINGS = {
    "accommodate": "acommodate",
    "achieve": "acheive",
    "across": "accross",
    "address": "adress",
    "agreement": "agrement",
    "announced": "anounced",
    "apparently": "apparantly",
    "argument": "arguement",
    "beginning": "begining",
    "believe": "beleive",
    "business": "buisness",
    "calendar": "calender",
    "committee": "commitee",
    "completely": "completly",
    "council": "counsil",
    "definitely": "definately",
    "different": "diffrent",
    "environment": "enviroment",
    "existence": "existance",
    "february": "febuary",
    "finally": "finaly",
    "foreign": "foriegn",
    "government": "goverment",
    "happened": "happend",
    "immediately": "immediatly",
    "independent": "independant",
    "island": "iland",
    "library": "libary",
    "necessary": "neccessary",
    "occasion": "ocassion",
    "occurred": "occured",
    "official": "offical",
    "officials": "offical",
    "parliament": "parliment",
    "people": "poeple",
    "receive": "recieve",
    "received": "recieved",
    "recommend": "recomend",
    "responsible": "responsable",
    "restaurant": "restaraunt",
    "schedule": "schedual",
    "separate": "seperate",
    "success": "sucess",
    "successful": "succesful",
    "surprise": "suprise",
    "their": "thier",
    "tomorrow": "tommorow",
    "truly": "truely",
    "until": "untill",
    "wednesday": "wensday",
    "which": "wich",
    "with": "whith",
    "because": "becuase",
    "million": "milion",
    "percent": "percant",
    "tuesday": "tuesay",
    "thursday": "thurday",
    "saturday": "saterday",
    "residents": "residnets",
    "minister": "minster",
}
"""Common real-world misspellings; words not listed are misspelled by :data:`SPELLING_RULES`."""

SPELLING_RULES = (
    ("ie", "ei"),
    ("ei", "ie"),
    ("ss", "s"),
    ("ll", "l"),
    ("tt", "t"),
    ("mm", "m"),
    ("pp", "p"),
    ("rr", "r"),
    ("ence", "ance"),
    ("ance", "ence"),
    ("able", "ible"),
    ("ible", "able"),
    ("ph", "f"),
    ("tion", "sion"),
    ("ous", "us"),
    ("ary", "ery"),
    ("ea", "ee"),
    ("ou", "o"),
    ("ay", "ey"),
    ("er", "ar"),
    ("or", "er"),
)
"""Sound-alike spelling slips, tried in order; the first that applies to a word is used."""

KEYBOARD_NEIGHBOURS = {
    "q": "wa",
    "w": "qeas",
    "e": "wrsd",
    "r": "etdf",
    "t": "ryfg",
    "y": "tugh",
    "u": "yihj",
    "i": "uojk",
    "o": "ipkl",
    "p": "ol",
    "a": "qwsz",
    "s": "awedxz",
    "d": "serfcx",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "z": "asx",
    "x": "zsdc",
    "c": "xdfv",
    "v": "cfgb",
    "b": "vghn",
    "n": "bhjm",
    "m": "njk",
}
"""Letters next to each letter on a QWERTY keyboard: the slips a typing finger makes."""
