import type {Category, SeedRule, Severity} from './finding.js'

/** What every report format says about a rule id: SARIF rule help, GitLab solution, JUnit and text remedies. */
interface RuleInfo {
  id: string
  title: string
  /** The severity a finding of this rule usually has; a finding may be raised or lowered (noise, expiry, policy). */
  severity: Severity
  category: Category
  rule: SeedRule
  /** What to do about it, one sentence or two. */
  remedy: string
  /** Why it matters, for a reader who does not know the rule. */
  help: string
}

const LAYERS = 'a later deletion does not remove it from the image, whose earlier layer still holds it'
const SECRET_FIX = `Remove it from every layer (${LAYERS}), revoke or rotate it at its issuer, and give it to the ` +
  'container at run time (a mounted secret or a deploy-time variable).'
const KEY_FIX = `Remove the key from every layer (${LAYERS}), replace it and reissue any certificate for it, ` +
  'and mount key material at run time.'
const FILE_FIX = `Build with a secret mount (RUN --mount=type=secret) so the file never lands in a layer (${LAYERS}), ` +
  'and rotate the credential.'
const SECRET_HELP = 'Anyone who can pull the image can read this credential and use it as its owner.'
const DAEMON_FIX = 'Reach the Docker daemon only over TLS with client verification (tlsverify, port 2376), or not at all.'
const NOT_CHECKED_FIX = 'Verify signatures and provenance (a registry source, without --no-signatures); ' +
  'a check that did not run is never a pass.'

type Row = [id: string, title: string, severity: Severity, help?: string]

/** A credential's help names it, so the rule help a report shows is this rule's and not one sentence for all. */
function secretHelp(title: string): string {
  return `${SECRET_HELP.replace('this credential', `this ${title.replace(/^[A-Z](?![A-Z])/, (c) => c.toLowerCase())}`)}`
}

function secrets(rows: Row[], category: Category = 'secret', remedy = SECRET_FIX): RuleInfo[] {
  return rows.map(([id, title, severity, help]) => ({
    id, title, severity, category, rule: 'no-credentials', remedy, help: help ?? secretHelp(title),
  }))
}

type FullRow = [id: string, title: string, severity: Severity, remedy: string, help: string]

function rules(rule: SeedRule, category: Category, rows: FullRow[]): RuleInfo[] {
  return rows.map(([id, title, severity, remedy, help]) => ({id, title, severity, category, rule, remedy, help}))
}

const KEY_KINDS: Record<string, string> = {
  rsa: 'RSA', ec: 'EC', dsa: 'DSA', pkcs8: 'PKCS#8', openssh: 'OpenSSH', pgp: 'PGP', ssh2: 'SSH2', putty: 'PuTTY',
}
const CREDENTIAL_FILES: Array<[string, string]> = [
  ['docker-config', 'Docker registry credentials (config.json)'], ['npmrc', 'npm registry credentials (.npmrc)'],
  ['pypirc', 'PyPI credentials (.pypirc)'], ['git-credentials', 'Git credentials store'], ['netrc', 'netrc password'],
  ['aws-credentials', 'AWS credentials file'], ['kubeconfig', 'Kubernetes credentials (kubeconfig)'],
  ['dotenv', 'Secret in a .env file'],
]

const CATALOGUE: readonly RuleInfo[] = [
  ...secrets([
    ['secret.aws-access-key', 'AWS access key pair', 'critical'],
    ['secret.aws-access-key-id', 'AWS access key id', 'medium',
      'A key id alone is not enough to sign requests, but its secret is rarely far away.'],
    ['secret.aws-secret-key', 'AWS secret access key', 'high'],
    ['secret.aws-bedrock-key', 'Amazon Bedrock API key', 'high'],
    ['secret.azure-storage-key', 'Azure storage account key', 'critical'],
    ['secret.azure-sas-token', 'Azure shared access signature', 'high'],
    ['secret.azure-app-config', 'Azure App Configuration connection string', 'high'],
    ['secret.azure-ad-client-secret', 'Azure AD (Entra ID) client secret', 'high'],
    ['secret.azure-container-registry', 'Azure Container Registry password', 'high'],
    ['secret.azure-devops-pat', 'Azure DevOps personal access token', 'high'],
    ['secret.gcp-service-account', 'GCP service account key', 'critical'],
    ['secret.google-api-key', 'Google API key', 'medium'],
    ['secret.github-token', 'GitHub token', 'high'],
    ['secret.gitlab-token', 'GitLab token', 'high'],
    ['secret.npm-token', 'npm access token', 'high'],
    ['secret.npm-legacy-auth', 'npm registry credentials (legacy _auth or UUID token)', 'high'],
    ['secret.pypi-token', 'PyPI API token', 'high'],
    ['secret.docker-hub-token', 'Docker Hub personal access token', 'high'],
    ['secret.artifactory-token', 'JFrog Artifactory token', 'high'],
    ['secret.openai-key', 'OpenAI API key', 'high'],
    ['secret.anthropic-key', 'Anthropic API key', 'high'],
    ['secret.huggingface-token', 'Hugging Face token', 'high'],
    ['secret.perplexity-key', 'Perplexity API key', 'high'],
    ['secret.slack-token', 'Slack token', 'high'],
    ['secret.slack-webhook', 'Slack incoming webhook URL', 'medium',
      'Anyone with the URL can post to the channel as the integration.'],
    ['secret.stripe-key', 'Stripe secret or restricted key', 'high'],
    ['secret.square-token', 'Square access token or secret', 'high'],
    ['secret.shopify-token', 'Shopify access token or shared secret', 'high'],
    ['secret.sendgrid-key', 'SendGrid API key', 'high'],
    ['secret.twilio-key', 'Twilio API key SID', 'medium'],
    ['secret.mailgun-key', 'Mailgun API key', 'high'],
    ['secret.mailchimp-key', 'Mailchimp API key', 'high'],
    ['secret.telegram-bot-token', 'Telegram bot token', 'high'],
    ['secret.discord-webhook', 'Discord webhook URL', 'medium',
      'Anyone with the URL can post to the channel as the webhook.'],
    ['secret.discord-bot-token', 'Discord bot token', 'high'],
    ['secret.datadog-key', 'Datadog API or application key', 'high'],
    ['secret.newrelic-key', 'New Relic key', 'high'],
    ['secret.sentry-dsn', 'Sentry DSN', 'low',
      'A DSN lets anyone send events to the project; it is meant for clients but still invites abuse.'],
    ['secret.sentry-token', 'Sentry auth token', 'high'],
    ['secret.grafana-token', 'Grafana token', 'high'],
    ['secret.cloudflare-api-token', 'Cloudflare API token', 'high'],
    ['secret.cloudflare-global-key', 'Cloudflare global API key', 'critical'],
    ['secret.cloudflare-origin-ca-key', 'Cloudflare Origin CA key', 'high'],
    ['secret.linear-key', 'Linear API key', 'high'],
    ['secret.notion-token', 'Notion integration token', 'high'],
    ['secret.doppler-token', 'Doppler token', 'high'],
    ['secret.pulumi-token', 'Pulumi access token', 'high'],
    ['secret.atlassian-token', 'Atlassian API token', 'high'],
    ['secret.bitbucket-token', 'Bitbucket access token', 'high'],
    ['secret.databricks-token', 'Databricks token', 'high'],
    ['secret.terraform-token', 'Terraform Cloud / Enterprise API token', 'high'],
    ['secret.vault-token', 'HashiCorp Vault token', 'high'],
    ['secret.digitalocean-token', 'DigitalOcean token', 'high'],
    ['secret.heroku-key', 'Heroku API key', 'high'],
    ['secret.flyio-token', 'Fly.io token', 'high'],
    ['secret.age-secret-key', 'age secret key', 'high', 'It decrypts every file encrypted to its public key.'],
    ['secret.onepassword-token', '1Password service account token or secret key', 'critical'],
    ['secret.facebook-token', 'Facebook access token', 'high'],
    ['secret.sourcegraph-token', 'Sourcegraph access token', 'high'],
    ['secret.sonar-token', 'SonarQube / SonarCloud token', 'high'],
    ['secret.snyk-token', 'Snyk API token', 'high'],
    ['secret.openshift-token', 'OpenShift user token', 'high'],
    ['secret.okta-token', 'Okta API token', 'high'],
    ['secret.octopus-key', 'Octopus Deploy API key', 'high'],
    ['secret.scalingo-token', 'Scalingo API token', 'high'],
    ['secret.infracost-token', 'Infracost API token', 'high'],
    ['secret.intra42-secret', '42 Intra client secret', 'high'],
    ['secret.sidekiq-secret', 'Sidekiq Enterprise / Pro credentials', 'high'],
    ['secret.hubspot-key', 'HubSpot API key', 'high'],
    ['secret.sumologic-key', 'Sumo Logic access key', 'high'],
    ['secret.nuget-password', 'NuGet feed password', 'high'],
    ['secret.nuget-key', 'NuGet API key', 'high'],
    ['secret.rubygems-key', 'RubyGems API key', 'high'],
    ['secret.clojars-token', 'Clojars deploy token', 'high'],
    ['secret.groq-key', 'Groq API key', 'high'],
    ['secret.xai-key', 'xAI API key', 'high'],
    ['secret.replicate-token', 'Replicate API token', 'high'],
    ['secret.langsmith-key', 'LangSmith API key', 'high'],
    ['secret.pinecone-key', 'Pinecone API key', 'high'],
    ['secret.postman-key', 'Postman API key', 'high'],
    ['secret.supabase-token', 'Supabase access token', 'high'],
    ['secret.planetscale-token', 'PlanetScale token or password', 'high'],
    ['secret.figma-token', 'Figma personal access token', 'high'],
    ['secret.netlify-token', 'Netlify access token', 'high'],
    ['secret.readme-key', 'ReadMe API key', 'high'],
    ['secret.prefect-key', 'Prefect API key', 'high'],
    ['secret.contentful-token', 'Contentful personal access token', 'high'],
    ['secret.tailscale-key', 'Tailscale auth key or API token', 'high'],
    ['secret.typeform-token', 'Typeform personal access token', 'high'],
    ['secret.mapbox-token', 'Mapbox secret token', 'high'],
    ['secret.brevo-key', 'Brevo (Sendinblue) API key', 'high'],
    ['secret.teams-webhook', 'Microsoft Teams incoming webhook URL', 'medium',
      'Anyone with the URL can post to the channel as the connector.'],
    ['secret.twitter-bearer', 'X (Twitter) app bearer token', 'high'],
    ['secret.dynatrace-token', 'Dynatrace API token', 'high'],
    ['secret.shippo-token', 'Shippo API token', 'high'],
    ['secret.alibaba-access-key', 'Alibaba Cloud AccessKey ID', 'medium',
      'An AccessKey ID alone signs nothing, but its secret is rarely far away.'],
    ['secret.google-oauth-secret', 'Google OAuth client secret', 'high'],
    ['secret.google-oauth-token', 'Google OAuth access or refresh token', 'high'],
    ['secret.firebase-server-key', 'Firebase Cloud Messaging server key', 'high'],
    ['secret.openrouter-key', 'OpenRouter API key', 'high'],
    ['secret.tavily-key', 'Tavily API key', 'high'],
    ['secret.nvidia-key', 'NVIDIA API key', 'high'],
    ['secret.circleci-token', 'CircleCI API token', 'high'],
    ['secret.buildkite-token', 'Buildkite API access token', 'high'],
    ['secret.packagist-token', 'Private Packagist token', 'high'],
    ['secret.posthog-key', 'PostHog personal API key', 'high'],
    ['secret.stripe-webhook-secret', 'Webhook signing secret', 'high',
      'Whoever holds it can sign forged events that the receiving service accepts as the provider\'s.'],
    ['secret.flutterwave-key', 'Flutterwave secret or encryption key', 'high'],
    ['secret.easypost-key', 'EasyPost API key', 'high'],
    ['secret.duffel-token', 'Duffel API token', 'high'],
    ['secret.braintree-token', 'Braintree (PayPal) access token', 'high'],
    ['secret.airtable-token', 'Airtable personal access token', 'high'],
    ['secret.adafruit-io-key', 'Adafruit IO key', 'high'],
    ['secret.frameio-token', 'Frame.io developer token', 'high'],
    ['secret.kubernetes-secret', 'Kubernetes Secret manifest with data', 'high'],
    ['secret.curl-credentials', 'Credentials on a curl command line', 'high'],
    ['secret.docker-login-password', 'Registry password on a docker login command line', 'high'],
    ['secret.cli-password', 'Password or token on a command line', 'high'],
    ['secret.jwt', 'Signed JSON Web Token', 'medium',
      'A bearer token: whoever holds it is authenticated until it expires.'],
    ['secret.url-credentials', 'Credentials embedded in a URL', 'medium'],
    ['secret.generic-assignment', 'Secret-like value assigned to a secret name', 'medium'],
    ['secret.netrc-entry', 'netrc-style machine/login/password entry', 'medium'],
    ['secret.http-auth', 'Credentials in an HTTP Authorization header or curl -u', 'medium'],
    ['secret.config-assignment', 'Secret-like value in image configuration', 'medium',
      'ENV, labels and build history are readable by anyone who can pull the image, without opening a layer.'],
  ]),
  ...secrets(Object.entries(KEY_KINDS).flatMap(([k, name]) => [
    [`private-key.${k}`, `Private key (${k})`, 'high',
      `Anyone who pulls the image holds this ${name} private key and can sign, log in or decrypt as its owner.`] as Row,
    [`private-key.${k}-encrypted`, `Passphrase-protected private key (${k})`, 'medium',
      `This ${name} key is usable by whoever guesses its passphrase, offline and with unlimited tries.`] as Row,
  ]), 'private-key', KEY_FIX),
  ...secrets([
    ['keystore.pkcs12', 'PKCS#12 keystore', 'medium',
      'A PKCS#12 file (.p12, .pfx) usually holds a private key with its certificate; it is only as safe as its password.'],
    ['keystore.pkcs12-default-password', 'PKCS#12 keystore with a default password', 'high',
      'This PKCS#12 file opens with a well-known default password, so its private keys are readable as they are.'],
    ['keystore.jks', 'Java keystore', 'medium',
      'A Java keystore holds private keys and trusted certificates; it is only as safe as its store password.'],
    ['keystore.jks-default-password', 'Java keystore with a default password', 'high',
      'This Java keystore opens with a well-known default password (such as changeit), so its keys are readable.'],
    ['keystore.jceks', 'Java JCEKS keystore', 'medium',
      'A JCEKS keystore can hold secret keys as well as private ones; it is only as safe as its password.'],
    ['keystore.jceks-default-password', 'Java JCEKS keystore with a default password', 'high',
      'This JCEKS keystore opens with a well-known default password, so its secret and private keys are readable.'],
  ], 'private-key', KEY_FIX),
  ...secrets(CREDENTIAL_FILES.map(([k, title]) => [`credential-file.${k}`, title, 'high'] as Row), 'credential-file',
    FILE_FIX),
  ...secrets([
    ['credential-file.shadow', 'Password hash in shadow file', 'high',
      'A login hash in /etc/shadow is the same in every container of the image and can be cracked offline.'],
    ['credential-file.htpasswd', 'Password hash in htpasswd file', 'high',
      'An htpasswd hash guards a web login; anyone who pulls the image can crack it offline and log in.'],
    ['credential-file.shadow-empty-password', 'Account with an empty password', 'high',
      'Anyone who reaches a login prompt or su in the container gets the account.'],
  ], 'credential-file',
    'Lock the account (passwd -l) or set its password at run time, and build the image without the hash.'),
  ...rules('no-credentials', 'certificate', [
    ['cert.leaf-with-key', 'Certificate shipped with its private key', 'high', KEY_FIX,
      'With the key, anyone who pulls the image can impersonate the service the certificate names.'],
    ['cert.private-ca', 'CA certificate outside the trust store', 'medium',
      'If the image must trust this CA, install it through the OS trust store (update-ca-certificates) and say why; otherwise remove it.',
      'A private CA in an image often comes with its key nearby, or is trusted by code that should not trust it.'],
    ['cert.added-trust-anchor', 'CA certificate added to the trust store', 'low',
      'Make sure everything the image connects to should trust this CA; prefer trusting it only in the client that needs it.',
      'Every TLS connection the image makes will accept certificates this CA issues.'],
  ]),
  ...rules('non-root', 'config', [
    ['config.user.root', 'Container runs as root', 'low',
      'Add a USER instruction with a non-root uid (and chown what it must write); run as root only for a documented reason.',
      'A process that breaks out of a root container is root on the host unless user namespaces remap it.'],
    ['config.user.unknown', 'USER names a user or group the image does not define', 'medium',
      'Create the user in the image (useradd) or use a numeric uid:gid.',
      'The runtime cannot resolve the name, so the container fails or runs with an identity nobody chose.'],
    ['config.user.uid-not-allowed', 'Container user is not one the policy allows', 'high',
      'Run as a uid the policy allows, or change the policy with a reason.',
      'The policy pins which identities images may run as.'],
    ['config.fs.setuid', 'Setuid or setgid file', 'medium',
      'Remove the setuid/setgid bits (chmod u-s,g-s) from binaries the container does not need them on.',
      'A setuid binary lets a non-root user in the container gain its owner\'s privileges.'],
    ['config.fs.sudo', 'sudo in the image', 'medium',
      'Remove sudo from the image; a container that needs root should say so with USER.',
      'sudo turns a non-root container back into a root one.'],
  ]),
  ...rules('minimal-host', 'config', [
    ['config.fs.world-writable', 'World-writable file or directory', 'medium',
      'Remove world write permission (chmod o-w), or set the sticky bit on a shared directory.',
      'Any process in the container can replace what it holds.'],
    ['config.volume.system-path', 'VOLUME over a kernel or device filesystem', 'high',
      'Do not declare volumes over /proc, /sys or /dev.',
      'Mounting over kernel filesystems exposes or hides host state the container should not touch.'],
  ]),
  ...rules('daemon-tls', 'config', [
    ['config.daemon.client-without-tls', 'Image talks to a Docker daemon without authenticated TLS', 'high',
      DAEMON_FIX, 'A client that reaches the daemon without TLS sends its commands, which are root on the host, in clear.'],
    ['config.daemon.listens-without-tlsverify', 'Image runs a Docker daemon on TCP without TLS client verification',
      'high', DAEMON_FIX, 'Without client verification anyone who reaches the port controls the daemon, which is root on its host.'],
    ['config.daemon.plaintext-port', 'Image exposes the Docker daemon\'s plaintext port 2375', 'high',
      DAEMON_FIX, 'Port 2375 is the daemon API without TLS: whoever reaches it is root on the host.'],
    ['config.volume.docker-socket', 'VOLUME where the Docker daemon socket lives', 'high',
      'Do not mount the Docker socket into a container.',
      'The socket grants root on the host to whoever can write to it.'],
  ]),
  ...rules('ports', 'config', [
    ['config.port.not-allowed', 'Image exposes a port the policy does not allow', 'high',
      'Expose only the ports the policy allows, or change the policy with a reason.',
      'Every exposed port is a service someone must own and patch.'],
  ]),
  ...rules('single-owner', 'config', [
    ['config.label.missing', 'A label the policy requires is missing', 'high',
      'Add the label (LABEL in the Dockerfile) with the value the policy expects.',
      'Labels say who owns the image and how sensitive it is.'],
    ['config.healthcheck.missing', 'No HEALTHCHECK', 'info',
      'Add a HEALTHCHECK so the orchestrator can tell a broken container from a working one.',
      'Without one a hung service keeps receiving traffic.'],
  ]),
  ...rules('rebuild', 'config', [
    ['config.age.unknown', 'Image age cannot be established', 'medium',
      'Rebuild the image so its config records a creation time.',
      'The policy limits image age to keep patches current.'],
    ['config.age.too-old', 'Image is older than the policy allows', 'high',
      'Rebuild the image from its Dockerfile on a current base.',
      'An old image misses every fix released since it was built.'],
  ]),
  ...rules('trust-external', 'config', [
    ['config.base.unknown', 'Base image is not recorded', 'medium',
      'Record the base image (org.opencontainers.image.base.name and .digest labels, or build provenance).',
      'A base the image does not name cannot be vetted.'],
    ['config.base.not-allowed', 'Base image is not one the policy allows', 'high',
      'Build from a base image the policy allows.', 'The policy names the bases it trusts.'],
  ]),
  ...rules('trust-external', 'signature', [
    ['signature.missing', 'Image is not signed', 'high',
      'Sign the image (cosign sign or notation sign) with an identity the policy trusts.',
      'Without a signature nothing says who built the image.'],
    ['signature.identity-mismatch', 'Image is signed by someone else', 'high',
      'Sign with an identity the policy trusts, or add the signer to the policy.',
      'A signature only counts when it names a trusted signer.'],
    ['signature.unverified', 'Image carries signatures, not verified', 'info',
      'Give imgvet the key or certificate identity the signatures were made with (--key, --certificate-identity).',
      'Signatures were found but nothing was given to check them against.'],
    ['signature.invalid', 'Image signature does not verify', 'high',
      'Re-sign the image; check the key, certificate identity or trusted root given to imgvet.',
      'A signature that does not verify vouches for nothing.'],
    ['signature.notation-unverified', 'Notation signature present, not verified', 'info',
      'Give imgvet a Notation trust store (--notation-trust-store) and identities to verify it.',
      'The signature was seen but not checked.'],
    ['policy.signatures.not-checked', 'Signatures are required but were not checked', 'high',
      NOT_CHECKED_FIX, 'The policy requires a trusted signature, and no signature was looked at: that is not a pass.'],
  ]),
  ...rules('trust-external', 'provenance', [
    ['provenance.missing', 'No build provenance', 'high',
      'Publish SLSA provenance with the image (for example docker buildx build --provenance=mode=max) and sign it.',
      'Provenance says which builder made the image from which source.'],
    ['provenance.invalid', 'Attestation does not verify', 'medium',
      'Republish the attestation signed by a signer the policy trusts.',
      'An attestation that does not verify vouches for nothing.'],
    ['provenance.builder-mismatch', 'Provenance names an unexpected builder', 'high',
      'Build with the builder the policy names, or update the policy.',
      'The builder decides what ends up in the image.'],
    ['provenance.source-mismatch', 'Provenance names an unexpected source repository', 'high',
      'Build from the source the policy names, or update the policy.',
      'The image was not built from the code you reviewed.'],
    ['provenance.unsigned', 'Build provenance is unsigned', 'low', 'Sign the provenance attestation (cosign attest).',
      'Unsigned provenance can be written by anyone who can push.'],
    ['policy.provenance.not-checked', 'Provenance is required but was not checked', 'high',
      NOT_CHECKED_FIX, 'The policy requires build provenance, and none was looked at: that is not a pass.'],
    ['policy.official.not-checked', 'Official-image provenance is required but was not checked', 'high',
      NOT_CHECKED_FIX, 'The policy requires Docker Official Image provenance, and none was looked at: that is not a pass.'],
  ]),
  ...rules('trust-external', 'integrity', [
    ['policy.tag-only', 'Reference has no digest', 'critical', 'Reference the image by digest (name@sha256:…).',
      'A tag can be moved to other bytes after you vetted it.'],
    ['policy.no-scope', 'No policy scope matches the image', 'high',
      'Add a scope for this image to the policy, or vet it with the policy that covers it.',
      'An image no scope covers was never vetted.'],
    ['policy.allow.expired', 'Allowlist entry has expired', 'low',
      'Fix the finding, or renew the entry with a new expiry and reason.',
      'Exceptions expire so that someone looks again.'],
    ['policy.allow.unused', 'Allowlist entry matched nothing', 'info', 'Remove the entry or fix its matcher.',
      'A stale exception may match something else later.'],
  ]),
]

const BY_ID: ReadonlyMap<string, RuleInfo> = new Map(CATALOGUE.map((r) => [r.id, r]))

/** Every rule id imgvet can report, with what to say about it. */
export function catalogue(): readonly RuleInfo[] {
  return CATALOGUE
}

/**
 * A rule's description. An id missing from the catalogue (test/checks/rules.test.ts keeps that from shipping) falls
 * back to what its finding says, with the remedy of its category.
 */
export function ruleInfo(id: string, f?: {title: string; severity: Severity; category: Category; rule: SeedRule}): RuleInfo {
  const known = BY_ID.get(id)
  if (known) return known
  const secretLike = f ? ['secret', 'private-key', 'certificate',
    'credential-file'].includes(f.category) : id.startsWith('secret.')
  return {
    id, title: f?.title ?? id, severity: f?.severity ?? 'medium', category: f?.category ?? 'secret', rule: f?.rule ?? 'no-credentials',
    remedy: secretLike ? SECRET_FIX : 'See the finding\'s evidence; fix the image or record an exception in the policy with a reason.',
    help: secretLike ? SECRET_HELP : 'imgvet reported this finding.',
  }
}
