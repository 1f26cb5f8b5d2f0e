import { allTemplates, renderDirect, type TemplateDef } from '../../src/mail/render.js';

export type Sample = { def: TemplateDef<any>; props: Record<string, any>; html: string; text: string };

/** Every template rendered directly (no cache) with its sample props, or with changes to them. */
export async function renderAll(change: Record<string, unknown> = {}): Promise<Sample[]> {
  return Promise.all(
    allTemplates.map(async (d) => {
      const def = d as TemplateDef<any>;
      const props = { ...def.previewProps, ...change };
      return { def, props, ...(await renderDirect(def, props)) };
    }),
  );
}
