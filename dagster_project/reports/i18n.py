"""The report's words in French (the readers' language, by default) and English.

Every sentence the report writes is here, so that a translation or a change
of wording is one place to look at; numbers are written by formatting.py.
"""

from __future__ import annotations

PLATFORM_NAMES = {"x": "X", "instagram": "Instagram"}

# What one post is called on each platform, as the original report wrote it
# ("likes / tweet"); every other platform says "post".
POST_NOUNS = {"x": {"fr": "tweet", "en": "tweet"}}

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Benchmark des réseaux sociaux",
        "generated": "Généré le",
        "contents": "Sommaire",
        "no_panel": "Aucun panel n’a de données pour ce trimestre.",
        "accounts": "comptes",
        "headline": "Chiffres clés",
        "indicator": "Indicateur",
        "mean": "moyenne",
        "median": "médiane",
        "headline_note": "Moyenne et médiane des comptes du panel (chaque compte compte pour un).",
        "rankings": "Classements",
        "top5": "Top 5",
        "ranking_of_year": "Classement",
        "movement_note": "▲▼\u00a0: places gagnées ou perdues par rapport à la période précédente\u00a0; "
                         "«\u00a0nouveau\u00a0»\u00a0: pas classé à la période précédente.",
        "new": "nouveau",
        "audience": "Communauté",
        "followers_chart": "Abonnés fin {quarter}",
        "rank": "Rang",
        "account": "Compte",
        "followers_end": "Abonnés fin {quarter}",
        "growth_since": "Évolution depuis fin {year}",
        "growth_between": "Évolution fin {year} → {date}",
        "following_end": "Abonnements fin {quarter}",
        "following_rank": "Rang abonnements",
        "activity": "Activité par trimestre",
        "posts_per_day_chart": "Contenus publiés par jour, ensemble du panel",
        "reactions_per_post_chart": "Réactions par post, ensemble du panel",
        "top_posts": "Top 3 contenus du trimestre",
        "top_posts_note": "Classés par taux d’interactions du post "
                          "(réactions / abonnés le jour de la publication).",
        "published": "Publié le",
        "open_post": "Voir le post",
        "likes": "Likes",
        "comments": "Commentaires",
        "reposts": "Reposts",
        "quotes": "Citations",
        "reactions": "Réactions",
        "post_interaction": "Taux d’interactions",
        "followers_at_publish": "Abonnés à la publication",
        "hashtags": "Hashtags les plus utilisés",
        "hashtag": "Hashtag",
        "posts": "Posts",
        "hashtag_accounts": "Comptes",
        "no_data": "Pas de données",
        "data": "Les données",
        "files_loaded": "Fichiers chargés",
        "files_summary": "Fichiers\u00a0: {files}\u00a0; lignes\u00a0: {rows}.",
        "path": "Fichier",
        "format": "Format",
        "rows": "Lignes",
        "loaded_at": "Chargé le",
        "checks": "Contrôles",
        "checks_summary": "Contrôles réussis\u00a0: {passed} sur {total}.",
        "passed": "réussi",
        "failed": "échoué",
        "not_provided": "Non fourni pour ce rendu.",
        "newest_data": "Donnée la plus récente\u00a0:",
        "definitions": "Définitions",
        "definitions_missing": "Les définitions exactes de chaque indicateur sont dans docs/metrics.md, "
                               "dans le dépôt du projet.",
        "and": "et",
        "vs": "vs",
        "in_period": "au {period}",
        "year_to_date": "{year} ({first}–{last})",
        "year_sentence": "Sur {year}\u00a0: {mean} en moyenne (médiane {median})",
        "previous_year_clause": ", contre {value} en {year}",
        "page": "Page",
    },
    "en": {
        "title": "Social media benchmark",
        "generated": "Generated on",
        "contents": "Contents",
        "no_panel": "No panel has data for this quarter.",
        "accounts": "accounts",
        "headline": "Headline figures",
        "indicator": "Figure",
        "mean": "mean",
        "median": "median",
        "headline_note": "Mean and median of the panel's accounts (each account counts once).",
        "rankings": "Rankings",
        "top5": "Top 5",
        "ranking_of_year": "Ranking",
        "movement_note": "▲▼: places gained or lost since the previous period; "
                         "“new”: not ranked in the previous period.",
        "new": "new",
        "audience": "Audience",
        "followers_chart": "Followers at the end of {quarter}",
        "rank": "Rank",
        "account": "Account",
        "followers_end": "Followers end {quarter}",
        "growth_since": "Growth since end {year}",
        "growth_between": "Growth end {year} → {date}",
        "following_end": "Following end {quarter}",
        "following_rank": "Following rank",
        "activity": "Activity by quarter",
        "posts_per_day_chart": "Posts per day, whole panel",
        "reactions_per_post_chart": "Reactions per post, whole panel",
        "top_posts": "Top 3 posts of the quarter",
        "top_posts_note": "Ranked by post interaction rate (reactions / followers on the day of publication).",
        "published": "Published",
        "open_post": "Open the post",
        "likes": "Likes",
        "comments": "Comments",
        "reposts": "Reposts",
        "quotes": "Quotes",
        "reactions": "Reactions",
        "post_interaction": "Interaction rate",
        "followers_at_publish": "Followers at publication",
        "hashtags": "Most used hashtags",
        "hashtag": "Hashtag",
        "posts": "Posts",
        "hashtag_accounts": "Accounts",
        "no_data": "No data",
        "data": "About the data",
        "files_loaded": "Files loaded",
        "files_summary": "Files: {files}; rows: {rows}.",
        "path": "File",
        "format": "Format",
        "rows": "Rows",
        "loaded_at": "Loaded",
        "checks": "Checks",
        "checks_summary": "Checks passed: {passed} of {total}.",
        "passed": "passed",
        "failed": "failed",
        "not_provided": "Not provided for this rendering.",
        "newest_data": "Newest data:",
        "definitions": "Definitions",
        "definitions_missing": "The exact definition of every figure is in docs/metrics.md, "
                               "in the project's repository.",
        "and": "and",
        "vs": "vs",
        "in_period": "in {period}",
        "year_to_date": "{year} ({first}–{last})",
        "year_sentence": "Over {year}: {mean} on average (median {median})",
        "previous_year_clause": ", against {value} in {year}",
        "page": "Page",
    },
}

# How each headline figure is said, around its formatted value; {post} is
# the platform's word for a post.
METRIC_PHRASES: dict[str, dict[str, str]] = {
    "fr": {
        "posts": "{value} publications par compte",
        "likes_per_post": "{value} likes par {post}",
        "reposts_per_post": "{value} RT par {post}",
        "reactions_per_post": "{value} réactions par {post}",
        "post_interaction_rate": "{value} de taux d’interactions par {post}",
    },
    "en": {
        "posts": "{value} posts per account",
        "likes_per_post": "{value} likes per {post}",
        "reposts_per_post": "{value} reposts per {post}",
        "reactions_per_post": "{value} reactions per {post}",
        "post_interaction_rate": "{value} interaction rate per {post}",
    },
}

METRIC_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "posts": "Publications par compte",
        "likes_per_post": "Likes par {post}",
        "reposts_per_post": "RT par {post}",
        "reactions_per_post": "Réactions par {post}",
        "post_interaction_rate": "Taux d’interactions par {post}",
    },
    "en": {
        "posts": "Posts per account",
        "likes_per_post": "Likes per {post}",
        "reposts_per_post": "Reposts per {post}",
        "reactions_per_post": "Reactions per {post}",
        "post_interaction_rate": "Interaction rate per {post}",
    },
}


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform.capitalize())


def post_noun(platform: str, language: str) -> str:
    return POST_NOUNS.get(platform, {}).get(language, "post")


def metric_label(metric: str, platform: str, language: str) -> str:
    """"Likes par tweet": the name of a headline figure on this platform."""
    return METRIC_LABELS[language][metric].format(post=post_noun(platform, language))
