//! The options of the commands that call AWS, in one place: `--profile`,
//! `--region`, `--endpoint-url`, `--connect-timeout`, `--mfa-code`. They are given before
//! the command (`iamctl --profile p user list`) or after it (`iamctl user list
//! --profile p`), and only the commands that call AWS list and take them:
//! `iamctl validate --help` shows none of them. A new AWS option is a field
//! of the macro below and a line of [`AwsArgs::or`] and of the `From`.

macro_rules! aws_args {
    ($(#[$meta:meta])* $name:ident, global = $global:tt) => {
        $(#[$meta])*
        #[derive(clap::Args, Debug, Clone, Default)]
        #[command(next_help_heading = "AWS options")]
        pub struct $name {
            /// Named profile (else `AWS_PROFILE`); its credentials win over `AWS_ACCESS_KEY_ID`.
            #[arg(long, global = $global, value_name = "P")]
            pub profile: Option<String>,
            /// AWS Region (else `AWS_REGION` or the profile's; IAM is global).
            #[arg(long, global = $global, value_name = "R")]
            pub region: Option<String>,
            /// Endpoint for IAM, STS and S3 (else `AWS_ENDPOINT_URL`); S3 then uses path-style.
            #[arg(long, global = $global, value_name = "URL")]
            pub endpoint_url: Option<String>,
            /// Seconds to wait for a connection to AWS before failing (not retried) [default: 5].
            #[arg(long, global = $global, value_name = "SECONDS")]
            pub connect_timeout: Option<f64>,
            /// MFA code for a role profile with `mfa_serial` (else asked on a terminal).
            #[arg(
                long,
                global = $global,
                value_name = "CODE",
                env = "IAMCTL_MFA_CODE",
                hide_env_values = true
            )]
            pub mfa_code: Option<String>,
        }
    };
}

aws_args!(
    /// The AWS options of one command (a leaf: `whoami`, `plan`, `policy
    /// show`), and of `iamctl` itself, before any command.
    AwsArgs,
    global = false
);
aws_args!(
    /// The AWS options of a group whose every command calls AWS (`user`,
    /// `role`, ...): given to the group, they are taken by each of its commands.
    AwsGroupArgs,
    global = true
);

/// The connect timeout when none is given, in seconds.
pub const DEFAULT_CONNECT_TIMEOUT: f64 = 5.0;

impl AwsArgs {
    /// These options, each one not given taken from `outer` (the nearer
    /// the command wins: `iamctl --region a user list --region b` is `b`).
    pub fn or(self, outer: &AwsArgs) -> AwsArgs {
        AwsArgs {
            profile: self.profile.or_else(|| outer.profile.clone()),
            region: self.region.or_else(|| outer.region.clone()),
            endpoint_url: self.endpoint_url.or_else(|| outer.endpoint_url.clone()),
            connect_timeout: self.connect_timeout.or(outer.connect_timeout),
            mfa_code: self.mfa_code.or_else(|| outer.mfa_code.clone()),
        }
    }
}

impl From<&AwsGroupArgs> for AwsArgs {
    fn from(g: &AwsGroupArgs) -> AwsArgs {
        AwsArgs {
            profile: g.profile.clone(),
            region: g.region.clone(),
            endpoint_url: g.endpoint_url.clone(),
            connect_timeout: g.connect_timeout,
            mfa_code: g.mfa_code.clone(),
        }
    }
}
