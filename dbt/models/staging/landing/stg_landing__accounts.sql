with

accounts as (

    select * from {{ source('landing', 'accounts') }}

),

renamed as (

    select
        panel,
        platform,
        lower(handle) as handle,
        company,
        display_name,
        account_type,
        member_from,
        member_to,
        file_path,
        line_number
    from accounts

)

select * from renamed
