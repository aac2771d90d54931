"""French post texts for the demo: the editorial themes of DEMO.md, with their hashtags.

`plain=True` keeps a text encodable in Windows-1252 (no emoji), for the files a
French spreadsheet re-saved.
"""

from __future__ import annotations

import random

CONGRESSES = {1: ("#JFHOD", "#ECCO{year}"), 2: ("#ASCO{year}", "#EHA{year}"), 3: ("#ESMO{year}", "#ERS{year}"),
              4: ("#ASH{year}", "#SFD{year}")}
CHARITIES = ("la course Odysséa", "le Téléthon", "la Course du Cœur", "les Restos du Cœur",
             "la Ligue contre le cancer", "Octobre Rose", "la collecte de l'Établissement français du sang")
CITIES = ("Lyon", "Paris-La Défense", "Marcy-l'Étoile", "Compiègne", "Toulouse", "Lille", "Bordeaux")
OFFICIAL_HANDLES = ("Sante_Gouv", "ansm", "HAS_sante", "leem_media", "Assur_Maladie", "Inserm", "francebiotech")
AWARENESS_DAYS = ("de lutte contre le cancer", "du diabète", "de la santé mentale", "des maladies rares",
                  "de la sclérose en plaques", "de la vaccination", "du rein")

# Hashtags a company uses in its own campaigns (DEMO.md: editorial themes of 2023).
COMPANY_HASHTAGS = {
    "Amgen": ("#commited4good",),
    "Janssen": ("#EmbraceEquity",),
    "Pfizer": ("#EmbraceEquity",),
    "Bayer": ("#Ecogestes",),
}

CAMPAIGN_HASHTAGS = {
    "boxonslasep": ("#SEP", "#sclérosenplaques", "#BoxonsLaSEP"),
    "parlonsdepression": ("#dépression", "#santémentale", "#ParlonsDépression"),
    "lachainerose": ("#OctobreRose", "#cancerdusein", "#dépistage"),
    "contrelecanceronfaitequipe": ("#cancer", "#aidants", "#onfaitéquipe"),
    "lasanteaufeminin": ("#santédesfemmes", "#endométriose", "#ménopause"),
    "voixdespatients": ("#patients", "#témoignage", "#santé"),
    "lumieresurlasep": ("#SEP", "#LumièreSurLaSEP", "#handicapinvisible"),
}

_EMOJIS = ("🌱", "🚲", "💪", "👏", "🎗️", "💊", "🔬", "🤝", "💙", "✨")


def _emoji(rng: random.Random, plain: bool) -> str:
    return "" if plain else " " + rng.choice(_EMOJIS)


def _company_tag(rng: random.Random, company: str) -> str:
    tags = COMPANY_HASHTAGS.get(company)
    return " " + rng.choice(tags) if tags and rng.random() < 0.6 else ""


def _congress(rng: random.Random, year: int, quarter: int) -> str:
    return rng.choice(CONGRESSES[quarter]).format(year=year)


def x_post_text(rng: random.Random, company: str, year: int, quarter: int, plain: bool) -> str:
    """An original post (neither a reply nor a repost) of a company's X account."""
    congress = _congress(rng, year, quarter)
    templates = (
        lambda: (f"Réduire notre empreinte carbone passe aussi par nos trajets : {rng.randint(40, 400)} "
                 f"collaborateurs ont rejoint le défi mobilité douce.{_emoji(rng, plain)} #RSE #mobilité"
                 f"{_company_tag(rng, company)}"),
        lambda: (f"Nos équipes étaient mobilisées ce week-end pour {rng.choice(CHARITIES)}.\n\n"
                 f"Merci à toutes et à tous !{_emoji(rng, plain)}{_company_tag(rng, company)} #RSE"),
        lambda: (f"Retrouvez-nous au congrès {congress} : stand n°{rng.randint(1, 90)}, symposium le "
                 f"{rng.randint(1, 28)} à {rng.choice(('9h', '12h30', '14h', '17h15'))}. #santé #innovation"),
        lambda: (f"Diversité et inclusion : {rng.randint(38, 61)} % de nos postes de direction sont occupés "
                 f"par des femmes. Continuons !{_company_tag(rng, company)} #RSE #diversité"),
        lambda: (f"Le saviez-vous ? Éteindre son écran à la pause déjeuner économise jusqu'à "
                 f"{rng.randint(20, 90)} kWh par an et par poste. #Ecogestes #environnement"
                 if company == "Bayer" else
                 f"Sobriété énergétique : -{rng.randint(8, 25)} % de consommation sur nos sites depuis 2021."
                 f"{_emoji(rng, plain)} #RSE #environnement"),
        lambda: (f"Journée mondiale {rng.choice(AWARENESS_DAYS)} : informer, dépister, accompagner.\n"
                 f"Parlez-en à votre médecin. #{rng.choice(('santé', 'Santé', 'santé', 'sante'))} #prévention"),
        lambda: (f"Nous recrutons ! {rng.randint(3, 40)} postes en CDI sur notre site de {rng.choice(CITIES)}."
                 f" #recrutement #emploi"),
        lambda: (f"Notre engagement \"{rng.choice(('agir pour la santé', 'innover pour les patients'))}\" se "
                 f"traduit en actes ; découvrez notre rapport RSE {rng.choice((2022, 2023))}. #RSE"
                 f"{_company_tag(rng, company)}"),
        lambda: (f"Innovation : {rng.randint(2, 12)} essais cliniques ouverts en France cette année, "
                 f"avec {rng.randint(20, 150)} centres investigateurs.{_emoji(rng, plain)} #santé #recherche"),
    )
    return rng.choice(templates)()


def x_reply_text(rng: random.Random, plain: bool, others: tuple[str, ...]) -> str:
    mention = rng.choice(OFFICIAL_HANDLES + others)
    templates = (
        lambda: f"@{mention} Merci pour ce partage !{_emoji(rng, plain)}",
        lambda: (f"@{mention} Bonjour, nos équipes d'information médicale restent joignables au "
                 f"0 800 {rng.randint(100, 999)} {rng.randint(100, 999)}."),
        lambda: f"@{mention} @{rng.choice(OFFICIAL_HANDLES)} Bravo à toutes les équipes, bel engagement #RSE",
    )
    return rng.choice(templates)()


def x_repost_text(rng: random.Random, plain: bool, others: tuple[str, ...]) -> str:
    source = rng.choice(OFFICIAL_HANDLES + others)
    body = rng.choice((
        "Campagne de vaccination : les rendez-vous sont ouverts en pharmacie. #santé",
        "Accès précoce : publication du rapport annuel. #innovation",
        f"Découvrez les lauréats de l'appel à projets {rng.choice(('e-santé', 'prévention', 'RSE'))}.",
    ))
    return f"RT @{source}: {body}{_emoji(rng, plain)}"


def instagram_caption(rng: random.Random, company: str, handle: str, year: int, quarter: int, campaign: bool,
                      plain: bool) -> str:
    if campaign:
        tags = CAMPAIGN_HASHTAGS[handle]
        headline = rng.choice((
            "Vous n'êtes pas seul·e.", "Et si on en parlait ?", "Témoignage", "3 idées reçues à oublier",
            "Le saviez-vous ?", "Rendez-vous en live jeudi à 18h",
        ))
        body = rng.choice((
            "Chaque parcours est unique : retrouvez nos conseils et les associations près de chez vous.",
            "Nous avons rencontré Claire, 34 ans, qui nous raconte son quotidien, ses doutes et ses victoires.",
            "Fatigue, douleurs, moral : parlez-en avec votre médecin, et n'hésitez pas à demander un second avis.",
            "Un geste simple peut tout changer ; partagez ce post avec vos proches.",
        ))
        hashtags = " ".join(rng.sample(tags, k=rng.randint(1, len(tags))))
        return f"{headline}{_emoji(rng, plain)}\n\n{body}\n\n{hashtags}"
    company_tags = COMPANY_HASHTAGS.get(company, ("#innovation", "#patients", "#QVT", "#Santé"))
    headline = rng.choice((
        "Dans les coulisses de notre site de production", "Nos collaborateurs à l'honneur",
        f"Congrès {_congress(rng, year, quarter)}", "Semaine de la qualité de vie au travail",
        f"Ensemble pour {rng.choice(CHARITIES)}", "Journée internationale des droits des femmes",
    ))
    body = rng.choice((
        "Merci à toutes les équipes mobilisées pour les patients.",
        "Découvrez nos engagements RSE : environnement, mobilité, diversité.",
        "Plus de 200 collaborateurs ont participé cette année, un record !",
    ))
    return f"{headline}{_emoji(rng, plain)}\n{body}\n#santé {rng.choice(company_tags)} #RSE"


def instagram_story_caption(rng: random.Random) -> str:
    return rng.choice(("", "Sondage du jour", "Swipe up", "En direct du congrès", "Quiz santé"))
