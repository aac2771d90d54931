{#- The metrics of the panel table and of the rankings (METRICS.md), in report
    order. One list, so that the panel table, the rankings and their tests
    cannot disagree on which metrics exist. -#}
{% macro panel_metrics() -%}
    {{ return([
        'posts',
        'likes_per_post',
        'comments_per_post',
        'reposts_per_post',
        'reactions_per_post',
        'posts_per_day',
        'post_interaction_rate',
        'followers_end',
        'followers_growth_pct',
        'following_end',
    ]) }}
{%- endmacro %}
