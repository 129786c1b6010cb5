"""Write the bundled tiny news corpus: 800 synthetic (article, summary) pairs, seeded.

The articles are *templated synthetic text*, not real news: eight kinds of event (a budget vote,
a storm, a match, an election, a factory opening, a protest, a court case, a new building), each
filled with a made-up place, people and numbers, told in four to six sentences of which some are
background a summary should leave out. The summary is one sentence with the event's key facts.
That is enough for a tiny summarizer trained here to summarize unseen articles well, and for text
edits to find where it stops doing so; it says nothing about real-world summarizers.

Run from the repository root (under a second):

    .venv/bin/python plugins/text/scripts/make_tiny_news.py

It overwrites ``plugins/text/ffade_text/data/tiny_news.jsonl``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from ffade.errors import OneLineParser, whole_number_from_1

OUT = Path(__file__).resolve().parents[1] / "ffade_text" / "data" / "tiny_news.jsonl"

CITIES = [
    "Riverton",
    "Ashford",
    "Belmont",
    "Carver",
    "Dunmore",
    "Eastwick",
    "Fairhaven",
    "Glenrock",
    "Harlow",
    "Ironwood",
    "Kingsbury",
    "Lakeside",
    "Millbrook",
    "Northgate",
    "Oakridge",
    "Pinecrest",
    "Queensport",
    "Redwater",
    "Stonebridge",
    "Thornbury",
    "Upton",
    "Valemont",
    "Westfield",
    "Yarrow",
    "Brookvale",
    "Cedarfield",
    "Elmstead",
    "Foxley",
    "Granton",
    "Hillcrest",
]
PEOPLE = [
    "Ana_Lopez",
    "Ben_Carter",
    "Clara_Diaz",
    "David_Okafor",
    "Elena_Rossi",
    "Frank_Muller",
    "Grace_Kim",
    "Hassan_Ali",
    "Irene_Novak",
    "James_Reed",
    "Karin_Berg",
    "Leo_Santos",
    "Maria_Silva",
    "Nadia_Haddad",
    "Omar_Farouk",
    "Paula_Grant",
    "Ravi_Mehta",
    "Sara_Lind",
    "Tom_Walsh",
    "Vera_Ivanova",
]
TEAMS = [
    "Rovers",
    "United",
    "Rangers",
    "Wanderers",
    "Athletic",
    "Falcons",
    "Lions",
    "Tigers",
    "Eagles",
    "Sharks",
]
COMPANIES = [
    "Northwind",
    "Brightline",
    "Solaris",
    "Keystone",
    "Vantage",
    "Meridian",
    "Ironclad",
    "Bluepeak",
]
SECTORS = ["schools", "roads", "hospitals", "parks", "libraries", "housing", "transport", "police"]
ISSUES = ("fuel prices", "school closures", "new taxes", "rent increases", "job cuts")
FACILITIES = ["library", "hospital", "stadium", "bridge", "school", "museum", "station"]
CRIMES = ["fraud", "theft", "bribery", "arson", "robbery"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def name(person: str) -> str:
    return person.replace("_", " ")


def surname(person: str) -> str:
    return person.split("_")[1]


def budget(r: random.Random) -> tuple[list[str], str]:
    city, mayor, n = r.choice(CITIES), r.choice(PEOPLE), r.randint(2, 95)
    a, b = r.sample(SECTORS, 2)
    day = r.choice(DAYS)
    votes = r.randint(5, 9)
    article = [
        f"The city council of {city} approved a new budget on {day}.",
        f"The plan gives {n} million dollars to {a} and {b}.",
        f"Mayor {name(mayor)} said the vote was a victory for families.",
        f"The council voted {votes} to {r.randint(1, 4)} after a long meeting.",
        "Critics said the council did not consult residents.",
    ]
    return article, f"{city} council approves {n} million dollar budget for {a} and {b}."


def storm(r: random.Random) -> tuple[list[str], str]:
    city, n, official = r.choice(CITIES), r.randint(10, 900), r.choice(PEOPLE)
    day = r.choice(DAYS)
    article = [
        f"A storm hit {city} on {day} night.",
        f"Heavy rain flooded {n} homes near the river.",
        f"Fire crews rescued {r.randint(2, 40)} people from their cars.",
        f"Official {name(official)} warned residents to stay inside.",
        "The weather service expects more rain this week.",
    ]
    return article, f"Storm floods {n} homes in {city}."


def match(r: random.Random) -> tuple[list[str], str]:
    home, away = r.sample(TEAMS, 2)
    city, coach = r.choice(CITIES), r.choice(PEOPLE)
    won, lost = r.randint(2, 6), r.randint(0, 1)
    article = [
        f"{city} {home} defeated {away} {won} to {lost} on {r.choice(DAYS)}.",
        f"The crowd at the stadium saw {surname(coach)} score twice.",
        f"Coach {name(coach)} praised the players after the match.",
        f"The {away} team struggled in the second half.",
        "The next game is in two weeks.",
    ]
    return article, f"{city} {home} beat {away} {won} to {lost}."


def election(r: random.Random) -> tuple[list[str], str]:
    city = r.choice(CITIES)
    winner, loser = r.sample(PEOPLE, 2)
    share = r.randint(51, 79)
    article = [
        f"Voters in {city} elected a new mayor on {r.choice(DAYS)}.",
        f"{name(winner)} won the election with {share} percent of the vote.",
        f"{name(loser)} accepted the result and thanked voters.",
        "Turnout was higher than at the last election, officials said.",
        f"{surname(winner)} promised to build more housing.",
    ]
    return article, f"{name(winner)} wins {city} mayor election with {share} percent."


def factory(r: random.Random) -> tuple[list[str], str]:
    company, city, jobs = r.choice(COMPANIES), r.choice(CITIES), r.randint(20, 900)
    boss = r.choice(PEOPLE)
    article = [
        f"{company} opened a new factory in {city} this week.",
        f"The company will hire {jobs} workers over the next year.",
        f"Director {name(boss)} said the region has skilled workers.",
        "The factory makes parts for electric cars.",
        "Local leaders welcomed the investment.",
    ]
    return article, f"{company} opens factory in {city} and hires {jobs} workers."


def protest(r: random.Random) -> tuple[list[str], str]:
    city, crowd, issue = r.choice(CITIES), r.randint(100, 9000), r.choice(ISSUES)
    leader = r.choice(PEOPLE)
    article = [
        f"About {crowd} people marched in {city} on {r.choice(DAYS)}.",
        f"They protested against {issue}.",
        f"Union leader {name(leader)} called on the government to act.",
        "Police said the protest was peaceful.",
        "Shops in the centre closed early.",
    ]
    return article, f"{crowd} people protest {issue} in {city}."


def court(r: random.Random) -> tuple[list[str], str]:
    city, person, years = r.choice(CITIES), r.choice(PEOPLE), r.randint(2, 15)
    crime = r.choice(CRIMES)
    judge = r.choice([p for p in PEOPLE if p != person])
    article = [
        f"A court in {city} sentenced {name(person)} to {years} years in prison.",
        f"The judge found {surname(person)} guilty of {crime}.",
        f"Judge {name(judge)} said the case was serious.",
        f"Lawyers for {surname(person)} said they will appeal.",
    ]
    return article, f"{name(person)} sentenced to {years} years for {crime} in {city}."


def building(r: random.Random) -> tuple[list[str], str]:
    city, facility, cost = r.choice(CITIES), r.choice(FACILITIES), r.randint(3, 250)
    official = r.choice(PEOPLE)
    article = [
        f"{city} opened a new {facility} on {r.choice(DAYS)}.",
        f"The project cost {cost} million dollars and took three years.",
        f"Minister {name(official)} visited the site with students.",
        f"Residents said the town needed a {facility} for years.",
    ]
    return article, f"{city} opens new {facility} costing {cost} million dollars."


EVENTS = (budget, storm, match, election, factory, protest, court, building)


def make(count: int, seed: int) -> list[dict[str, str]]:
    r = random.Random(seed)
    pairs = []
    for i in range(count):
        sentences, summary = EVENTS[i % len(EVENTS)](r)
        lead, rest = sentences[:2], sentences[2:]
        r.shuffle(rest)  # the facts lead; background comes in any order
        pairs.append({"article": " ".join(lead + rest), "summary": summary})
    r.shuffle(pairs)
    return pairs


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=whole_number_from_1, default=800)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    pairs = make(args.count, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as file:
        file.writelines(json.dumps(p) + "\n" for p in pairs)
    print(f"wrote {len(pairs)} pairs to {args.out}")


if __name__ == "__main__":
    main()
