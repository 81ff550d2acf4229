//! `iamctl whoami`

use crate::ctx::{fields, Ctx};
use crate::error::CmdResult;

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct Whoami<'a> {
    account: &'a str,
    arn: &'a str,
    user_id: &'a str,
    account_aliases: Vec<String>,
}

pub async fn run(ctx: &Ctx) -> CmdResult {
    let id = ctx.identity().await?;
    // The alias is a courtesy: callers without iam:ListAccountAliases still get an answer.
    let aliases = ctx.aws().await.account_aliases().await.unwrap_or_default();
    let w = Whoami {
        account: &id.account,
        arn: &id.arn,
        user_id: &id.user_id,
        account_aliases: aliases,
    };
    ctx.emit(&w, |w| {
        fields(&[
            ("account", w.account.to_string()),
            ("arn", w.arn.to_string()),
            ("user id", w.user_id.to_string()),
            (
                "alias",
                if w.account_aliases.is_empty() {
                    "(none)".to_string()
                } else {
                    w.account_aliases.join(", ")
                },
            ),
        ])
    })
}
