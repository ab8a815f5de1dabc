import {Help, type Command} from '@oclif/core'

/** oclif prints a command's summary line unwrapped above its usage; wrap it like every other section. */
export default class ImgvetHelp extends Help {
  protected override summary(c: Command.Loadable): string | undefined {
    const s = super.summary(c)
    return s === undefined ? undefined : this.wrap(s)
  }
}
