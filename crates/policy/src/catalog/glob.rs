//! Wildcard matching: IAM's `*` and `?` against names, and whether a policy's
//! resource pattern and a resource type's ARN pattern can denote the same ARN.

/// Whether `text` matches `pattern`, where `*` is any run of characters and
/// `?` any one character. Case-sensitive: lowercase both to ignore case.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Which characters one step of a pattern accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Lit(char),
    Any,
    /// Any character but this one.
    Except(char),
}

impl Class {
    fn meets(self, other: Class, fold_case: bool) -> bool {
        match (self, other) {
            (Class::Lit(a), Class::Lit(b)) => a == b || (fold_case && a.eq_ignore_ascii_case(&b)),
            (Class::Lit(c), Class::Except(x)) | (Class::Except(x), Class::Lit(c)) => c != x,
            // Some character is neither `:` nor `/`.
            _ => true,
        }
    }
}

/// One step: a character class, taken once or any number of times.
#[derive(Debug, Clone, Copy)]
struct Step {
    class: Class,
    repeat: bool,
}

fn once(class: Class) -> Step {
    Step {
        class,
        repeat: false,
    }
}

fn many(class: Class) -> Step {
    Step {
        class,
        repeat: true,
    }
}

/// Whether some string matches both step sequences.
fn intersects(a: &[Step], b: &[Step], fold_case: bool) -> bool {
    let width = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * width];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if std::mem::replace(&mut seen[i * width + j], true) {
            continue;
        }
        if i == a.len() && j == b.len() {
            return true;
        }
        if i < a.len() && a[i].repeat {
            stack.push((i + 1, j));
        }
        if j < b.len() && b[j].repeat {
            stack.push((i, j + 1));
        }
        if i < a.len() && j < b.len() && a[i].class.meets(b[j].class, fold_case) {
            let ni = if a[i].repeat { i } else { i + 1 };
            let nj = if b[j].repeat { j } else { j + 1 };
            if (ni, nj) != (i, j) {
                stack.push((ni, nj));
            }
        }
    }
    false
}

/// The steps of a policy `Resource` value: `*` and `?` wildcards, and
/// `${...}` policy variables, which can stand for anything (except the
/// escapes `${*}`, `${?}` and `${$}`, which are those characters).
fn policy_steps(resource: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut rest = resource;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("${") {
            if let Some(end) = after.find('}') {
                match &after[..end] {
                    "*" => steps.push(once(Class::Lit('*'))),
                    "?" => steps.push(once(Class::Lit('?'))),
                    "$" => steps.push(once(Class::Lit('$'))),
                    _ => steps.push(many(Class::Any)),
                }
                rest = &after[end + 1..];
                continue;
            }
        }
        steps.push(match c {
            '*' => many(Class::Any),
            '?' => once(Class::Any),
            c => once(Class::Lit(c)),
        });
        rest = &rest[c.len_utf8()..];
    }
    steps
}

/// The steps of a resource type's ARN pattern. Placeholders in the first five
/// parts (partition, service, region, account) match one or more characters
/// other than `:`; in the resource part, one or more of anything, except a
/// bucket name, which has no `/`. A `*` in the pattern is a wildcard too.
fn type_steps(pattern: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut colons = 0;
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("${") {
            if let Some(end) = after.find('}') {
                let class = if colons < 5 {
                    Class::Except(':')
                } else if after[..end].eq_ignore_ascii_case("BucketName") {
                    Class::Except('/')
                } else {
                    Class::Any
                };
                steps.push(once(class));
                steps.push(many(class));
                rest = &after[end + 1..];
                continue;
            }
        }
        if c == ':' {
            colons += 1;
        }
        steps.push(match c {
            '*' => many(Class::Any),
            c => once(Class::Lit(c)),
        });
        rest = &rest[c.len_utf8()..];
    }
    steps
}

/// See [`super::ResourceType::could_match`].
pub(crate) fn could_match(arn_pattern: &str, resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    intersects(&type_steps(arn_pattern), &policy_steps(resource), false)
}

/// Whether a condition key has templated parts: `${TagKey}` or `<key>`.
pub(crate) fn is_templated_key(key: &str) -> bool {
    key.contains("${") || (key.contains('<') && key.contains('>'))
}

/// The steps of a templated condition key: each `${X}` or `<x>` is one or
/// more characters.
fn template_steps(template: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        let close = match c {
            '$' if rest.starts_with("${") => Some('}'),
            '<' => Some('>'),
            _ => None,
        };
        if let Some(end) = close.and_then(|close| rest.find(close)) {
            steps.push(once(Class::Any));
            steps.push(many(Class::Any));
            rest = &rest[end + 1..];
            continue;
        }
        steps.push(once(Class::Lit(c)));
        rest = &rest[c.len_utf8()..];
    }
    steps
}

/// Whether `key` is an instance of a templated key (`aws:ResourceTag/team`
/// of `aws:ResourceTag/${TagKey}`), ignoring letter case.
pub(crate) fn key_matches_template(template: &str, key: &str) -> bool {
    let key: Vec<Step> = key.chars().map(|c| once(Class::Lit(c))).collect();
    intersects(&template_steps(template), &key, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("get*", "getobject"));
        assert!(wildcard_match("describe?pcs", "describevpcs"));
        assert!(!wildcard_match("describe?pcs", "describepcs"));
        assert!(wildcard_match("*object*", "getobjectacl"));
        assert!(!wildcard_match("get*", "putobject"));
        assert!(wildcard_match("a*b*c", "aXbYbZc"));
        assert!(!wildcard_match("a*b*c", "aXbYbZ"));
    }

    #[test]
    fn resource_patterns() {
        let object = "arn:${Partition}:s3:::${BucketName}/${ObjectName}";
        let bucket = "arn:${Partition}:s3:::${BucketName}";
        assert!(could_match(object, "arn:aws:s3:::bucket/*"));
        assert!(could_match(object, "arn:aws:s3:::bucket/a/b.txt"));
        assert!(!could_match(object, "arn:aws:s3:::bucket"));
        assert!(could_match(bucket, "arn:aws:s3:::bucket"));
        assert!(!could_match(bucket, "arn:aws:s3:::bucket/*"));
        assert!(could_match(bucket, "arn:aws:s3:::*"));
        assert!(could_match(object, "arn:aws:s3:::*"));
        assert!(could_match(object, "arn:aws:s3:::b/${aws:username}/*"));
        assert!(!could_match(object, "arn:aws:ec2:::b/c"));
        let role = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}";
        assert!(could_match(role, "arn:aws:iam::123456789012:role/a/b"));
        assert!(could_match(role, "arn:aws:iam::*:role/*"));
        assert!(!could_match(role, "arn:aws:iam::123456789012:user/a"));
        assert!(!could_match(
            role,
            "arn:aws:iam:us-east-1:123456789012:role/a"
        ));
        let instance = "arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}";
        assert!(could_match(instance, "arn:aws:ec2:*:*:instance/*"));
        assert!(could_match(
            instance,
            "arn:aws:ec2:eu-west-1:123456789012:*"
        ));
        assert!(!could_match(
            instance,
            "arn:aws:ec2:eu-west-1:123456789012:volume/*"
        ));
    }

    #[test]
    fn templated_keys() {
        assert!(key_matches_template(
            "aws:ResourceTag/${TagKey}",
            "aws:resourcetag/team"
        ));
        assert!(!key_matches_template(
            "aws:ResourceTag/${TagKey}",
            "aws:ResourceTag/"
        ));
        assert!(key_matches_template(
            "s3:ExistingObjectTag/<key>",
            "s3:ExistingObjectTag/env"
        ));
        assert!(!key_matches_template(
            "aws:ResourceTag/${TagKey}",
            "aws:Other/x"
        ));
    }
}
