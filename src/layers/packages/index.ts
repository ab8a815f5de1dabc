import {apk} from './apk.js'
import {dpkg} from './dpkg.js'
import {gem} from './gem.js'
import {go} from './go.js'
import {gradle} from './gradle.js'
import {maven} from './maven.js'
import {npm} from './npm.js'
import {python} from './python.js'
import {rpm} from './rpm.js'
import type {PackageSource} from './source.js'

/**
 * Every package manager whose records origin reads, one line each. A path named by records of several: the first
 * record with a hash wins; ownership by directory (npm, gem, go) counts only where no record names the path.
 */
export const PACKAGE_SOURCES: readonly PackageSource[] = [dpkg, apk, rpm, python, maven, gradle, npm, gem, go]
