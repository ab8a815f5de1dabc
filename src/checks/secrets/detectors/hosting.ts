import {B, E, lowVariety, maskedCheck, nameNeedles, NAMED, namedValue, ruleDetector, UUID, varied} from '../tokens.js'

/** Platforms that run code and the identity services in front of them. */
export const hostingDetector = ruleDetector('hosting', 2, [
  {
    id: 'secret.heroku-key', title: 'Heroku API key', severity: 'high', needles: ['HRKU-'],
    re: new RegExp(`${B}HRKU-[A-Za-z0-9_-]{60}${E}`, 'g'), check: maskedCheck,
  },
  {
    id: 'secret.heroku-key', title: 'Heroku API key', severity: 'high', needles: nameNeedles('heroku'),
    re: namedValue('heroku', UUID), around: NAMED,
  },
  {
    id: 'secret.hubspot-key', title: 'HubSpot API key', severity: 'high', needles: nameNeedles('hubspot', 'hapikey'),
    re: namedValue('hubspot|hapikey', UUID), around: NAMED,
  },
  {
    id: 'secret.digitalocean-token', title: 'DigitalOcean token', severity: 'high', needles: ['dop_v1_', 'doo_v1_', 'dor_v1_'],
    re: new RegExp(`${B}do[por]_v1_[a-f0-9]{64}${E}`, 'g'), check: varied(8),
  },
  {
    id: 'secret.flyio-token', title: 'Fly.io token', severity: 'high', needles: ['fo1_', 'fm1r_', 'fm1a_', 'fm2_'],
    re: /(?<![A-Za-z0-9_.-])(?:fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})(?![A-Za-z0-9_+/=-])/g,
    check: varied(10),
  },
  {
    id: 'secret.scalingo-token', title: 'Scalingo API token', severity: 'high', needles: ['tk-us-'],
    re: new RegExp(`${B}tk-us-[A-Za-z0-9_-]{48}${E}`, 'g'), check: varied(10),
  },
  {
    id: 'secret.openshift-token', title: 'OpenShift user token', severity: 'high', needles: ['sha256~'],
    re: /(?<![A-Za-z0-9_-])sha256~[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g, check: varied(12),
  },
  {
    id: 'secret.okta-token', title: 'Okta API token', severity: 'high', needles: nameNeedles('okta'),
    re: namedValue('okta', '00[A-Za-z0-9_=-]{40}'), around: NAMED, check: (t) => (lowVariety(t.slice(2), 12) ? {keep: false} : {}),
  },
  {
    id: 'secret.intra42-secret', title: '42 Intra client secret', severity: 'high', needles: ['s-s4t2'],
    re: new RegExp(`${B}s-s4t2(?:ud|af)-[a-f0-9]{64}${E}`, 'g'),
  },
  {
    id: 'secret.sidekiq-secret', title: 'Sidekiq Enterprise / Pro credentials', severity: 'high', needles: ['__CONTRIBSYS__COM'],
    re: /BUNDLE_(?:ENTERPRISE|GEMS)__CONTRIBSYS__COM["']?[ \t]*(?:=|:)[ \t]*["']?([a-f0-9]{8}:[a-f0-9]{8})(?![A-Za-z0-9])/g,
  },
  {
    id: 'secret.facebook-token', title: 'Facebook access token', severity: 'high', needles: ['EAAC', 'EAAM', 'EAAG'],
    re: /(?<![A-Za-z0-9_-])EAA[CGM][A-Za-z0-9]{100,}(?![A-Za-z0-9_-])/g, check: varied(10),
  },
  {
    // An app access token is `<app id>|<secret>`; the pipe is too common to look for without the provider's name.
    id: 'secret.facebook-token', title: 'Facebook app access token', severity: 'high', needles: nameNeedles('facebook'),
    re: /(?<![A-Za-z0-9])\d{15,16}\|[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])/g,
    check: (t, text, i) => (/facebook|fb_/i.test(text.slice(Math.max(0, i - 100), i)) ? {} : {keep: false}),
  },
  {
    id: 'secret.facebook-token', title: 'Facebook app secret', severity: 'high', needles: nameNeedles('facebook'),
    re: namedValue('facebook[_.-]?(?:app[_.-]?|client[_.-]?)?(?:secret|access[_.-]?token)', '[a-f0-9]{32}'), around: NAMED, check: varied(8),
  },
  {
    // An AccessKey ID is half a pair, like AWS's AKIA…: reported so the pair is found and rotated.
    id: 'secret.alibaba-access-key', title: 'Alibaba Cloud AccessKey ID', severity: 'medium', needles: ['LTAI'],
    re: /(?<![A-Za-z0-9_-])LTAI[A-Za-z0-9]{12,20}(?![A-Za-z0-9_-])/g,
    check: (t) => (/\d/.test(t.slice(4)) && /[a-z]/.test(t.slice(4)) && !lowVariety(t, 10) ? maskedCheck(t) : {keep: false}),
  },
])
