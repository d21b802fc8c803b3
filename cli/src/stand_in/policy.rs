//! Role trust policies: parsed from IAM's JSON at config load and evaluated for the
//! `AssumeRole` call that `CreateSession` makes on the caller's behalf.
//!
//! Sources cited beside each rule: **\[IAM-Grammar\]** IAM User Guide, "Grammar of the IAM JSON
//! policy language"; **\[IAM-Cond\]** "IAM JSON policy elements: Condition operators" (its
//! *Important* note: a key absent from the request context does not match and the condition is
//! false, except that negated operators such as `StringNotLike` are then true, and `…IfExists` and
//! `Null` test presence); **\[IAM-Multi\]** "Conditions with multiple context keys or values"
//! (operators AND'ed, keys AND'ed, values OR'ed, values of a negated operator NOR'ed) and "Set
//! operators for multivalued context keys" (`ForAnyValue` / `ForAllValues`); **\[IAM-Logic\]** "Policy evaluation logic" (explicit deny, implicit deny);
//! **\[IAM-Princ\]** "IAM JSON policy elements: Principal"; **\[T\]** Roles Anywhere "Trust model"
//! (the service principal, the three actions, the principal tags).
//!
//! Evaluation is pure: a [`Context`] of condition keys (lower-cased names, one or more values) in,
//! a [`Decision`] out. Unknown condition operators are refused when the policy is parsed, never
//! ignored.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// The service principal Roles Anywhere calls `AssumeRole` as (\[T\], "Role trusts").
pub const SERVICE_PRINCIPAL: &str = "rolesanywhere.amazonaws.com";

/// The actions a `CreateSession` needs the trust policy to allow (\[T\]: "The policy must grant
/// the permissions: sts:AssumeRole, sts:SetSourceIdentity, sts:TagSession").
pub const REQUIRED_ACTIONS: [&str; 3] = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"];

/// A parsed trust policy.
#[derive(Clone, Debug)]
pub struct Policy {
    statements: Vec<Statement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

#[derive(Clone, Debug)]
struct Statement {
    sid: Option<String>,
    effect: Effect,
    principal: PrincipalMatch,
    /// `Action` patterns, or `NotAction` patterns when `not_action`.
    actions: Vec<String>,
    not_action: bool,
    conditions: Vec<Condition>,
}

#[derive(Clone, Debug)]
enum PrincipalMatch {
    /// `"*"` or `{"AWS": "*"}`: everyone (\[IAM-Princ\], "Anonymous principals").
    Anyone,
    /// The `Service` and `AWS` principals listed (federated principals never match here).
    Listed {
        /// `Service` names.
        services: Vec<String>,
        /// `AWS` principals: account IDs, `arn:…:iam::ACCOUNT:root`, role ARNs, assumed-role
        /// session ARNs.
        aws: Vec<String>,
    },
}

/// Who calls `AssumeRole`.
#[derive(Clone, Copy, Debug)]
pub enum Caller<'a> {
    /// A service principal, e.g. [`SERVICE_PRINCIPAL`] for `CreateSession`.
    Service(&'a str),
    /// A role session (role chaining through STS `AssumeRole`).
    RoleSession {
        /// The session's account.
        account: &'a str,
        /// The role ARN of the session.
        role_arn: &'a str,
        /// `arn:…:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
        session_arn: &'a str,
    },
}

impl fmt::Display for Caller<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caller::Service(name) => write!(f, "Service {name}"),
            Caller::RoleSession { session_arn, .. } => f.write_str(session_arn),
        }
    }
}

/// The test of a condition operator, without its `IfExists` / set modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Test {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Bool,
    Null,
}

impl Test {
    fn parse(name: &str) -> Option<Test> {
        use Test::*;
        Some(match name {
            "StringEquals" => StringEquals,
            "StringNotEquals" => StringNotEquals,
            "StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
            "StringLike" => StringLike,
            "StringNotLike" => StringNotLike,
            "ArnEquals" => ArnEquals,
            "ArnLike" => ArnLike,
            "ArnNotEquals" => ArnNotEquals,
            "ArnNotLike" => ArnNotLike,
            "Bool" => Bool,
            "Null" => Null,
            _ => return None,
        })
    }

    /// Negated operators: true when the key's value matches none of the policy's values
    /// (\[IAM-Cond\]: "StringNotEquals … Negated matching").
    fn negated(self) -> bool {
        use Test::*;
        matches!(self, StringNotEquals | StringNotEqualsIgnoreCase | StringNotLike | ArnNotEquals | ArnNotLike)
    }

    /// Whether one request value matches one policy value, before negation.
    fn matches_one(self, actual: &str, pattern: &str) -> bool {
        use Test::*;
        match self {
            // [IAM-Cond] String condition operators: exact, case-sensitive.
            StringEquals | StringNotEquals => actual == pattern,
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => actual.eq_ignore_ascii_case(pattern),
            // [IAM-Cond]: "StringLike: case-sensitive matching. The values can include multi-character
            // match wildcards (*) and single-character match wildcards (?) anywhere in the string."
            StringLike | StringNotLike => wildcard_match(pattern, actual),
            // [IAM-Cond] ARN condition operators: "ArnEquals, ArnLike: case-sensitive matching of the
            // ARN. Each of the six colon-delimited components of the ARN is checked separately and
            // each can include multi-character match wildcards (*) or single-character match
            // wildcards (?)." (ArnEquals and ArnLike behave alike.)
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => arn_match(pattern, actual),
            // [IAM-Cond] Boolean condition operators.
            Bool => actual.eq_ignore_ascii_case(pattern),
            Null => unreachable_null(),
        }
    }
}

/// `Null` is decided on presence alone (see [`Condition::evaluate`]); never called.
fn unreachable_null() -> bool {
    false
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SetOp {
    /// A single-valued test.
    Single,
    /// `ForAnyValue:` (\[IAM-Multi\]): some request value matches.
    ForAnyValue,
    /// `ForAllValues:` (\[IAM-Multi\]): every request value matches (true when the key is absent).
    ForAllValues,
}

/// One `"Operator": {"key": values}` entry, for one key.
#[derive(Clone, Debug)]
struct Condition {
    operator: String,
    test: Test,
    set: SetOp,
    if_exists: bool,
    /// Lower-cased: condition key names are case-insensitive (\[IAM-Cond\], "Condition keys…
    /// key names are not case-sensitive").
    key: String,
    key_as_written: String,
    values: Vec<String>,
}

/// The request facts condition keys are read from: lower-cased key name to its values.
#[derive(Clone, Debug, Default)]
pub struct Context {
    keys: BTreeMap<String, (String, Vec<String>)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Context::default()
    }

    /// Sets a single-valued key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.keys.insert(key.to_ascii_lowercase(), (key.to_string(), vec![value.into()]));
    }

    /// Sets a multivalued key.
    pub fn set_all(&mut self, key: &str, values: Vec<String>) {
        self.keys.insert(key.to_ascii_lowercase(), (key.to_string(), values));
    }

    fn get(&self, key_lower: &str) -> Option<&[String]> {
        self.keys.get(key_lower).map(|(_, v)| v.as_slice())
    }
}

/// The outcome of evaluating a policy for one action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// An Allow statement matched and no Deny did.
    Allow,
    /// A Deny statement matched (\[IAM-Logic\]: "an explicit deny in any policy overrides any allows").
    ExplicitDeny {
        /// The statement's Sid, or its index.
        statement: String,
    },
    /// No Allow statement matched (\[IAM-Logic\]: requests are implicitly denied by default); says
    /// why each statement that names the principal and action did not apply.
    ImplicitDeny {
        /// One reason per considered statement.
        reasons: Vec<String>,
    },
}

/// Why a policy document was refused at load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError(message.into()))
}

/// A string or an array of strings (\[IAM-Grammar\]: `<action_string> | [<action_string>, …]`).
fn strings(value: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| PolicyError(format!("{what}: every entry must be a string")))
            })
            .collect(),
        _ => err(format!("{what} must be a string or a non-empty array of strings")),
    }
}

/// Condition values: strings, or numbers and booleans written without quotes (IAM takes
/// `"aws:SecureTransport": true`), one or an array.
fn condition_values(value: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => err(format!("{what}: condition values must be strings, numbers or booleans")),
    };
    match value {
        Value::Array(items) if !items.is_empty() => items.iter().map(one).collect(),
        Value::Array(_) => err(format!("{what}: the list of values is empty")),
        v => Ok(vec![one(v)?]),
    }
}

impl Policy {
    /// Parses a trust policy as pasted into IAM; refuses what IAM would refuse for a trust
    /// policy or what this stand-in cannot evaluate faithfully (unknown operators above all).
    pub fn parse(document: &Value) -> Result<Policy, PolicyError> {
        let Value::Object(top) = document else { return err("the trust policy must be a JSON object") };
        for key in top.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return err(format!("unknown top-level element {key:?} (expected Version, Id, Statement)"));
            }
        }
        // [IAM-Grammar] version_block: "2008-10-17" | "2012-10-17".
        match top.get("Version").and_then(Value::as_str) {
            Some("2012-10-17") | Some("2008-10-17") => {}
            Some(v) => return err(format!("Version {v:?} is not 2012-10-17 or 2008-10-17")),
            None => return err("Version is missing (write \"Version\": \"2012-10-17\")"),
        }
        let statements = match top.get("Statement") {
            Some(Value::Array(items)) if !items.is_empty() => items.iter().collect::<Vec<_>>(),
            Some(s @ Value::Object(_)) => vec![s],
            _ => return err("Statement must be an object or a non-empty array of objects"),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| Statement::parse(s).map_err(|e| PolicyError(format!("Statement[{i}]: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { statements })
    }

    /// Evaluates the policy for the Roles Anywhere service principal calling `action` with
    /// the facts in `context` (\[IAM-Logic\]): Deny beats Allow, no Allow is an implicit deny.
    pub fn evaluate(&self, action: &str, context: &Context) -> Decision {
        self.evaluate_for(&Caller::Service(SERVICE_PRINCIPAL), action, context)
    }

    /// [`Policy::evaluate`] for any caller.
    pub fn evaluate_for(&self, caller: &Caller<'_>, action: &str, context: &Context) -> Decision {
        let mut allowed = false;
        let mut reasons = Vec::new();
        for (i, statement) in self.statements.iter().enumerate() {
            let name = statement.sid.clone().unwrap_or_else(|| format!("Statement[{i}]"));
            if !statement.principal_matches(caller) {
                reasons.push(format!("{name}: principal does not name {caller}"));
                continue;
            }
            if !statement.action_matches(action) {
                reasons.push(format!("{name}: does not cover {action}"));
                continue;
            }
            match statement.conditions.iter().find(|c| !c.evaluate(context)) {
                Some(failed) => reasons.push(format!("{name}: condition {} failed", failed.describe(context))),
                None if statement.effect == Effect::Deny => return Decision::ExplicitDeny { statement: name },
                None => allowed = true,
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny { reasons }
        }
    }
}

impl Statement {
    fn parse(value: &Value) -> Result<Statement, PolicyError> {
        let Value::Object(map) = value else { return err("a statement must be a JSON object") };
        for key in map.keys() {
            match key.as_str() {
                "Sid" | "Effect" | "Principal" | "Action" | "NotAction" | "Condition" => {}
                // IAM refuses these in a role trust policy ("Has prohibited field Resource").
                "Resource" | "NotResource" => return err(format!("{key} is not allowed in a trust policy")),
                "NotPrincipal" => return err("NotPrincipal is not supported by this stand-in"),
                _ => return err(format!("unknown element {key:?}")),
            }
        }
        let sid = match map.get("Sid") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return err("Sid must be a string"),
        };
        let effect = match map.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            Some(e) => return err(format!("Effect {e:?} is not Allow or Deny")),
            None => return err("Effect is missing"),
        };
        let principal = match map.get("Principal") {
            None => return err("Principal is missing (a trust policy names who may assume the role)"),
            Some(Value::String(s)) if s == "*" => PrincipalMatch::Anyone,
            Some(Value::Object(p)) => {
                let mut services = Vec::new();
                let mut aws = Vec::new();
                let mut anyone = false;
                for (kind, v) in p {
                    let names = strings(v, &format!("Principal.{kind}"))?;
                    match kind.as_str() {
                        "Service" => services.extend(names),
                        "AWS" if names.iter().any(|n| n == "*") => anyone = true,
                        "AWS" => aws.extend(names),
                        "Federated" | "CanonicalUser" => {}
                        _ => return err(format!("unknown principal type {kind:?}")),
                    }
                }
                if anyone {
                    PrincipalMatch::Anyone
                } else {
                    PrincipalMatch::Listed { services, aws }
                }
            }
            Some(_) => return err("Principal must be \"*\" or an object such as {\"Service\": \"...\"}"),
        };
        let (actions, not_action) = match (map.get("Action"), map.get("NotAction")) {
            (Some(a), None) => (strings(a, "Action")?, false),
            (None, Some(a)) => (strings(a, "NotAction")?, true),
            (Some(_), Some(_)) => return err("Action and NotAction cannot both be given"),
            (None, None) => return err("Action is missing"),
        };
        for a in &actions {
            if a != "*" && !a.contains(':') {
                return err(format!("action {a:?} is not of the form service:Action"));
            }
        }
        let mut conditions = Vec::new();
        match map.get("Condition") {
            None => {}
            Some(Value::Object(ops)) => {
                for (operator, keys) in ops {
                    let (test, set, if_exists) = parse_operator(operator)?;
                    let Value::Object(keys) = keys else {
                        return err(format!("Condition.{operator} must be an object of condition keys"));
                    };
                    if keys.is_empty() {
                        return err(format!("Condition.{operator} names no condition key"));
                    }
                    for (key, values) in keys {
                        let values = condition_values(values, &format!("Condition.{operator}.{key}"))?;
                        if test == Test::Null || test == Test::Bool {
                            if let Some(v) = values
                                .iter()
                                .find(|v| !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false"))
                            {
                                return err(format!("Condition.{operator}.{key}: {v:?} is not true or false"));
                            }
                        }
                        conditions.push(Condition {
                            operator: operator.clone(),
                            test,
                            set,
                            if_exists,
                            key: key.to_ascii_lowercase(),
                            key_as_written: key.clone(),
                            values,
                        });
                    }
                }
            }
            Some(_) => return err("Condition must be an object"),
        }
        Ok(Statement { sid, effect, principal, actions, not_action, conditions })
    }

    /// \[IAM-Princ\]: a service principal by name; an account (`ID` or `arn:…:iam::ID:root`)
    /// stands for every principal of the account (which has no identity policies here to say
    /// otherwise); a role ARN for its sessions; a session ARN for itself.
    fn principal_matches(&self, caller: &Caller<'_>) -> bool {
        match (&self.principal, caller) {
            (PrincipalMatch::Anyone, _) => true,
            (PrincipalMatch::Listed { services, .. }, Caller::Service(name)) => services.iter().any(|n| n == name),
            (PrincipalMatch::Listed { aws, .. }, Caller::RoleSession { account, role_arn, session_arn }) => {
                aws.iter().any(|p| {
                    p == account
                        || (p.starts_with("arn:") && p.ends_with(&format!(":iam::{account}:root")))
                        || p == role_arn
                        || p == session_arn
                })
            }
        }
    }

    /// \[IAM-Grammar\]: action names are case-insensitive and may hold `*` and `?` wildcards.
    fn action_matches(&self, action: &str) -> bool {
        let action = action.to_ascii_lowercase();
        let any = self.actions.iter().any(|p| wildcard_match(&p.to_ascii_lowercase(), &action));
        any != self.not_action
    }
}

/// Splits `[ForAnyValue:|ForAllValues:]Test[IfExists]`; refuses anything else.
fn parse_operator(operator: &str) -> Result<(Test, SetOp, bool), PolicyError> {
    let (set, rest) = if let Some(rest) = operator.strip_prefix("ForAnyValue:") {
        (SetOp::ForAnyValue, rest)
    } else if let Some(rest) = operator.strip_prefix("ForAllValues:") {
        (SetOp::ForAllValues, rest)
    } else {
        (SetOp::Single, operator)
    };
    // [IAM-Cond] "...IfExists condition operators": any operator except Null takes the suffix.
    let (name, if_exists) = match rest.strip_suffix("IfExists") {
        Some(name) => (name, true),
        None => (rest, false),
    };
    let known_elsewhere = [
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
    ];
    let test = match Test::parse(name) {
        Some(t) => t,
        None if known_elsewhere.contains(&name) => {
            return err(format!(
                "condition operator {operator:?} is an IAM operator this stand-in does not evaluate \
                 (supported: String*, Arn*, Bool, Null, with IfExists and ForAnyValue:/ForAllValues:)"
            ))
        }
        None => return err(format!("unknown condition operator {operator:?}")),
    };
    if test == Test::Null && (if_exists || set != SetOp::Single) {
        return err(format!("condition operator {operator:?} is not valid: Null takes no modifier"));
    }
    Ok((test, set, if_exists))
}

impl Condition {
    /// \[IAM-Multi\]: the values of one key are OR'ed (for negated operators NOR'ed: none may
    /// match); keys and operators are AND'ed by the caller.
    fn evaluate(&self, context: &Context) -> bool {
        let actual = context.get(&self.key);
        if self.test == Test::Null {
            // [IAM-Cond] "Condition operator to check existence of condition keys": `true` means
            // the key must be absent, `false` present.
            let want_absent = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            let absent = actual.is_none_or(<[String]>::is_empty);
            return want_absent == absent;
        }
        let one = |value: &str| {
            let any = self.values.iter().any(|p| self.test.matches_one(value, p));
            any != self.test.negated()
        };
        match (self.set, actual) {
            // [IAM-Cond] "...IfExists": "If the policy key is not present in the context, the
            // condition evaluates to true".
            (_, None) if self.if_exists => true,
            // [IAM-Multi]: "ForAllValues … also returns true if there are no context keys in the
            // request"; "ForAnyValue … returns false" for a missing key.
            (SetOp::ForAllValues, None) => true,
            (SetOp::ForAnyValue, None) => false,
            // [IAM-Cond] Important note: a missing key does not match (false), but a negated
            // operator ("such as StringNotLike or ArnNotLike") on a missing key is true.
            (SetOp::Single, None) => self.test.negated(),
            (SetOp::Single, Some(values)) => values.first().is_some_and(|v| one(v)),
            (SetOp::ForAnyValue, Some(values)) => values.iter().any(|v| one(v)),
            (SetOp::ForAllValues, Some(values)) => values.iter().all(|v| one(v)),
        }
    }

    fn describe(&self, context: &Context) -> String {
        let actual = match context.get(&self.key) {
            None => "absent from the request".to_string(),
            Some(values) => format!("{values:?} in the request"),
        };
        format!("{} {{{:?}: {:?}}} ({actual})", self.operator, self.key_as_written, self.values)
    }
}

/// IAM wildcard matching: `*` any run of characters (including none), `?` exactly one.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matcher with backtracking to the last `*`: linear-ish, no recursion.
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
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// ARN matching (\[IAM-Cond\], ARN condition operators): the six colon-separated parts are matched
/// one by one with wildcards; the resource part keeps any further colons.
pub fn arn_match(pattern: &str, arn: &str) -> bool {
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    if p.len() != 6 || a.len() != 6 {
        // Not ARNs: a lone "*" still matches anything, otherwise compare as strings.
        return pattern == "*" || wildcard_match(pattern, arn);
    }
    p.iter().zip(&a).all(|(p, a)| wildcard_match(p, a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ANCHOR: &str = "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/TA1";
    const SPIFFE: &str = "spiffe://ORG.aws-us-west.example.io/ns/prj-demo/app";

    fn ctx() -> Context {
        let mut c = Context::new();
        c.set("aws:SourceArn", ANCHOR);
        c.set("aws:PrincipalTag/x509SAN/URI", SPIFFE);
        c.set("aws:PrincipalTag/x509Subject/CN", "app");
        c.set("aws:PrincipalTag/x509Issuer/CN", "Test Intermediate CA");
        c
    }

    /// The guide's trust policy (seeds/000): StringEquals on the anchor, StringLike on the SPIFFE ID.
    fn guide_policy(condition: Value) -> Value {
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "rolesanywhere.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                "Condition": condition
            }]
        })
    }

    fn allows(policy: &Value, context: &Context) -> bool {
        let p = Policy::parse(policy).unwrap_or_else(|e| panic!("{e}"));
        REQUIRED_ACTIONS.iter().all(|a| p.evaluate(a, context) == Decision::Allow)
    }

    fn allows_cond(condition: Value) -> bool {
        allows(&guide_policy(condition), &ctx())
    }

    #[test]
    fn guide_policy_allows_the_project_and_refuses_another() {
        let cond = json!({
            "StringEquals": {"aws:SourceArn": ANCHOR},
            "StringLike": {"aws:PrincipalTag/x509SAN/URI": "spiffe://ORG.aws-us-west.example.io/ns/prj-demo/*"}
        });
        assert!(allows_cond(cond.clone()));
        let mut other = ctx();
        other.set("aws:PrincipalTag/x509SAN/URI", "spiffe://ORG.aws-us-west.example.io/ns/prj-other/app");
        assert!(!allows(&guide_policy(cond.clone()), &other));
        let mut other_anchor = ctx();
        other_anchor.set("aws:SourceArn", "arn:aws:rolesanywhere:us-west-2:123456789012:trust-anchor/TA2");
        assert!(!allows(&guide_policy(cond), &other_anchor));
    }

    #[test]
    fn string_equals_is_exact_and_case_sensitive() {
        assert!(allows_cond(json!({"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "app"}})));
        assert!(!allows_cond(json!({"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "App"}})));
        assert!(!allows_cond(json!({"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "ap*"}})));
        assert!(allows_cond(json!({"StringEqualsIgnoreCase": {"aws:PrincipalTag/x509Subject/CN": "APP"}})));
    }

    #[test]
    fn condition_key_names_are_case_insensitive() {
        assert!(allows_cond(json!({"StringEquals": {"AWS:SOURCEARN": ANCHOR}})));
        assert!(allows_cond(json!({"StringEquals": {"aws:principaltag/x509subject/cn": "app"}})));
    }

    #[test]
    fn string_not_equals_and_not_like() {
        assert!(allows_cond(json!({"StringNotEquals": {"aws:PrincipalTag/x509Subject/CN": ["a", "b"]}})));
        assert!(!allows_cond(json!({"StringNotEquals": {"aws:PrincipalTag/x509Subject/CN": ["a", "app"]}})));
        assert!(!allows_cond(json!({"StringNotLike": {"aws:PrincipalTag/x509SAN/URI": "spiffe://*"}})));
        assert!(allows_cond(json!({"StringNotLike": {"aws:PrincipalTag/x509SAN/URI": "https://*"}})));
        // Negated operators hold for a missing key.
        assert!(allows_cond(json!({"StringNotEquals": {"aws:PrincipalTag/x509SAN/DNS": "x"}})));
    }

    #[test]
    fn string_like_wildcards() {
        assert!(allows_cond(json!({"StringLike": {"aws:PrincipalTag/x509Subject/CN": "a?p"}})));
        assert!(!allows_cond(json!({"StringLike": {"aws:PrincipalTag/x509Subject/CN": "a?"}})));
        assert!(allows_cond(json!({"StringLike": {"aws:PrincipalTag/x509Subject/CN": "*"}})));
        assert!(allows_cond(json!({"StringLike": {"aws:PrincipalTag/x509Subject/CN": "*p*"}})));
        assert!(!allows_cond(json!({"StringLike": {"aws:PrincipalTag/x509Subject/CN": "*x*"}})));
        assert!(allows_cond(json!({"StringLike": {"aws:PrincipalTag/x509SAN/URI": "spiffe://*/ns/prj-demo/*"}})));
        assert!(!allows_cond(json!({"StringLike": {"aws:PrincipalTag/x509SAN/URI": "spiffe://*/ns/prj-demo"}})));
        assert!(!allows_cond(json!({"StringLike": {"aws:PrincipalTag/x509Subject/CN": "APP"}})));
    }

    #[test]
    fn wildcard_matcher() {
        for (p, t, want) in [
            ("", "", true),
            ("", "a", false),
            ("*", "", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("?", "é", true),
            ("**a", "bbba", true),
            ("a*", "a", true),
            ("*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
        ] {
            assert_eq!(wildcard_match(p, t), want, "{p:?} vs {t:?}");
        }
    }

    #[test]
    fn arn_operators_match_per_component() {
        assert!(allows_cond(json!({"ArnEquals": {"aws:SourceArn": ANCHOR}})));
        assert!(allows_cond(
            json!({"ArnLike": {"aws:SourceArn": "arn:aws:rolesanywhere:*:123456789012:trust-anchor/*"}})
        ));
        assert!(allows_cond(json!({"ArnLike": {"aws:SourceArn": "arn:aws:rolesanywhere:us-west-?:*:*"}})));
        // `*` in the region does not swallow the account: components are matched one by one.
        assert!(!allows_cond(json!({"ArnLike": {"aws:SourceArn": "arn:aws:rolesanywhere:*:999999999999:*"}})));
        assert!(!allows_cond(
            json!({"ArnEquals": {"aws:SourceArn": "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/TA1"}})
        ));
        assert!(allows_cond(
            json!({"ArnNotEquals": {"aws:SourceArn": "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/TA1"}})
        ));
        assert!(!allows_cond(json!({"ArnNotLike": {"aws:SourceArn": "arn:aws:*:*:*:*"}})));
    }

    #[test]
    fn several_values_are_ored_and_several_keys_anded() {
        assert!(allows_cond(json!({"StringEquals": {"aws:PrincipalTag/x509Subject/CN": ["x", "app", "y"]}})));
        assert!(allows_cond(json!({"StringEquals": {
            "aws:PrincipalTag/x509Subject/CN": "app",
            "aws:PrincipalTag/x509Issuer/CN": "Test Intermediate CA"
        }})));
        assert!(!allows_cond(json!({"StringEquals": {
            "aws:PrincipalTag/x509Subject/CN": "app",
            "aws:PrincipalTag/x509Issuer/CN": "Other CA"
        }})));
        // Two operators: AND.
        assert!(!allows_cond(json!({
            "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "app"},
            "StringLike": {"aws:PrincipalTag/x509Issuer/CN": "Other*"}
        })));
    }

    #[test]
    fn if_exists() {
        // DNS SAN absent: plain StringEquals fails, StringEqualsIfExists holds.
        assert!(!allows_cond(json!({"StringEquals": {"aws:PrincipalTag/x509SAN/DNS": "x"}})));
        assert!(allows_cond(json!({"StringEqualsIfExists": {"aws:PrincipalTag/x509SAN/DNS": "x"}})));
        // Present: IfExists tests the value.
        assert!(allows_cond(json!({"StringLikeIfExists": {"aws:PrincipalTag/x509Subject/CN": "a*"}})));
        assert!(!allows_cond(json!({"StringLikeIfExists": {"aws:PrincipalTag/x509Subject/CN": "b*"}})));
        assert!(allows_cond(json!({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:rolesanywhere:*:*:*"}})));
        assert!(!allows_cond(json!({"ArnEqualsIfExists": {"aws:SourceArn": "arn:aws:rolesanywhere:eu-west-1:*:*"}})));
    }

    #[test]
    fn set_operators() {
        let mut c = ctx();
        c.set_all("aws:TagKeys", vec!["x509Subject/CN".into(), "x509SAN/URI".into()]);
        let pol = |cond: Value| allows(&guide_policy(cond), &c);
        assert!(pol(json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["x509SAN/URI", "nope"]}})));
        assert!(!pol(json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["nope"]}})));
        assert!(pol(json!({"ForAllValues:StringLike": {"aws:TagKeys": ["x509*"]}})));
        assert!(!pol(json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["x509SAN/URI"]}})));
        // Missing key: ForAnyValue false, ForAllValues true.
        assert!(!pol(json!({"ForAnyValue:StringEquals": {"aws:Missing": "a"}})));
        assert!(pol(json!({"ForAllValues:StringEquals": {"aws:Missing": "a"}})));
        // On a single-valued key ForAnyValue behaves as the plain operator.
        assert!(pol(json!({"ForAnyValue:StringLike": {"aws:PrincipalTag/x509SAN/URI": "spiffe://*"}})));
        assert!(pol(json!({"ForAnyValue:StringNotEquals": {"aws:TagKeys": "x509SAN/URI"}})));
        assert!(!pol(json!({"ForAllValues:StringNotEquals": {"aws:TagKeys": "x509SAN/URI"}})));
    }

    #[test]
    fn null_and_bool() {
        assert!(allows_cond(json!({"Null": {"aws:PrincipalTag/x509SAN/DNS": "true"}})));
        assert!(!allows_cond(json!({"Null": {"aws:PrincipalTag/x509SAN/URI": "true"}})));
        assert!(allows_cond(json!({"Null": {"aws:PrincipalTag/x509SAN/URI": false}})));
        let mut c = ctx();
        c.set("aws:SecureTransport", "true");
        assert!(allows(&guide_policy(json!({"Bool": {"aws:SecureTransport": true}})), &c));
        assert!(!allows(&guide_policy(json!({"Bool": {"aws:SecureTransport": "false"}})), &c));
    }

    #[test]
    fn deny_overrides_allow() {
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": SERVICE_PRINCIPAL},
                 "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]},
                {"Sid": "NoOther", "Effect": "Deny", "Principal": "*", "Action": "sts:*",
                 "Condition": {"StringLike": {"aws:PrincipalTag/x509SAN/URI": "*/prj-demo/*"}}}
            ]
        });
        let p = Policy::parse(&policy).unwrap();
        assert_eq!(p.evaluate("sts:AssumeRole", &ctx()), Decision::ExplicitDeny { statement: "NoOther".into() });
        let mut other = ctx();
        other.set("aws:PrincipalTag/x509SAN/URI", "spiffe://x/ns/prj-other/app");
        assert_eq!(p.evaluate("sts:AssumeRole", &other), Decision::Allow);
    }

    #[test]
    fn implicit_deny_without_matching_statement() {
        // Wrong principal, wrong action: nothing allows.
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
                {"Effect": "Allow", "Principal": {"Service": SERVICE_PRINCIPAL}, "Action": "sts:AssumeRole"}
            ]
        });
        let p = Policy::parse(&policy).unwrap();
        assert_eq!(p.evaluate("sts:AssumeRole", &ctx()), Decision::Allow);
        match p.evaluate("sts:TagSession", &ctx()) {
            Decision::ImplicitDeny { reasons } => {
                assert_eq!(reasons.len(), 2);
                assert!(reasons[0].contains("principal"), "{reasons:?}");
                assert!(reasons[1].contains("does not cover sts:TagSession"), "{reasons:?}");
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn actions_are_case_insensitive_with_wildcards_and_not_action() {
        let with_action = |action: Value, key: &str| {
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
                "Principal": {"Service": [SERVICE_PRINCIPAL, "ec2.amazonaws.com"]}, key: action}})
        };
        assert!(allows(&with_action(json!("sts:*"), "Action"), &ctx()));
        assert!(allows(&with_action(json!("*"), "Action"), &ctx()));
        assert!(allows(&with_action(json!(["STS:assumerole", "sts:tagsession", "sts:Set*"]), "Action"), &ctx()));
        assert!(!allows(&with_action(json!(["sts:AssumeRole", "sts:TagSession"]), "Action"), &ctx()));
        assert!(allows(&with_action(json!("s3:*"), "NotAction"), &ctx()));
        assert!(!allows(&with_action(json!("sts:TagSession"), "NotAction"), &ctx()));
    }

    #[test]
    fn refused_at_load() {
        let cases = [
            (json!({"Foo": {"aws:SourceArn": "x"}}), "unknown condition operator \"Foo\""),
            (json!({"StringEqualz": {"aws:SourceArn": "x"}}), "unknown condition operator"),
            (json!({"ForSomeValues:StringEquals": {"aws:SourceArn": "x"}}), "unknown condition operator"),
            (json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}), "does not evaluate"),
            (json!({"NullIfExists": {"aws:SourceArn": "true"}}), "Null takes no modifier"),
            (json!({"Null": {"aws:SourceArn": "yes"}}), "not true or false"),
            (json!({"StringEquals": {}}), "names no condition key"),
            (json!({"StringEquals": {"aws:SourceArn": []}}), "empty"),
            (json!({"StringEquals": "x"}), "must be an object"),
        ];
        for (cond, want) in cases {
            let e = Policy::parse(&guide_policy(cond.clone())).expect_err(&cond.to_string());
            assert!(e.0.contains(want), "{cond}: {e}");
        }
        let bad_docs = [
            (json!([]), "JSON object"),
            (json!({"Statement": []}), "Version is missing"),
            (json!({"Version": "2012-10-17", "Statement": []}), "non-empty"),
            (
                json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}}),
                "Principal is missing",
            ),
            (
                json!({"Version": "2012-10-17", "Statement": {"Effect": "Maybe", "Principal": "*", "Action": "sts:AssumeRole"}}),
                "Effect",
            ),
            (
                json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}}),
                "Resource is not allowed",
            ),
            (
                json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "AssumeRole"}}),
                "service:Action",
            ),
            (json!({"Version": "2012-10-17", "Statment": []}), "unknown top-level"),
        ];
        for (doc, want) in bad_docs {
            let e = Policy::parse(&doc).expect_err(&doc.to_string());
            assert!(e.0.contains(want), "{doc}: {e}");
        }
    }

    #[test]
    fn aws_principals_for_role_chaining() {
        let policy = |principal: Value| {
            Policy::parse(&json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
                "Principal": principal, "Action": "sts:AssumeRole"}}))
            .unwrap()
        };
        let session = Caller::RoleSession {
            account: "123456789012",
            role_arn: "arn:aws:iam::123456789012:role/demo",
            session_arn: "arn:aws:sts::123456789012:assumed-role/demo/s1",
        };
        let allowed = |p: &Policy| p.evaluate_for(&session, "sts:AssumeRole", &ctx()) == Decision::Allow;
        assert!(allowed(&policy(json!({"AWS": "arn:aws:iam::123456789012:role/demo"}))));
        assert!(allowed(&policy(json!({"AWS": ["123456789012"]}))));
        assert!(allowed(&policy(json!({"AWS": "arn:aws:iam::123456789012:root"}))));
        assert!(allowed(&policy(json!({"AWS": "arn:aws:sts::123456789012:assumed-role/demo/s1"}))));
        assert!(allowed(&policy(json!("*"))));
        assert!(!allowed(&policy(json!({"AWS": "arn:aws:iam::123456789012:role/other"}))));
        assert!(!allowed(&policy(json!({"AWS": "arn:aws:iam::999999999999:root"}))));
        assert!(!allowed(&policy(json!({"Service": SERVICE_PRINCIPAL}))));
        // And the service principal is not an AWS principal.
        let p = policy(json!({"AWS": "123456789012"}));
        assert!(matches!(p.evaluate("sts:AssumeRole", &ctx()), Decision::ImplicitDeny { .. }));
    }

    #[test]
    fn failure_reason_names_the_condition() {
        let p = Policy::parse(&guide_policy(json!({"StringLike": {"aws:PrincipalTag/x509SAN/URI": "spiffe://x/*"}})))
            .unwrap();
        let Decision::ImplicitDeny { reasons } = p.evaluate("sts:AssumeRole", &ctx()) else { panic!() };
        assert!(reasons[0].contains("StringLike") && reasons[0].contains("x509SAN/URI"), "{reasons:?}");
    }
}
