import type { ConfirmationEmailProps } from '../../emails/confirmation.js';
import type { SequenceEmailProps } from '../../emails/_components/props.js';
import { createRenderCache, type RenderCache } from './render-cache.js';
import { confirmationTemplate, sequenceTemplate, type SequenceTemplateId, type TemplateDef } from './templates.js';
import type { EncodedBodies } from './transport.js';

export { allTemplates, confirmationTemplate, consultTemplates, sequenceTemplates, sequenceTemplate } from './templates.js';
export type { ConfirmationEmailProps, ConsultTemplateId, SequenceEmailProps, SequenceTemplateId, TemplateDef } from './templates.js';
export { createRenderCache, renderDirect, type RenderCache } from './render-cache.js';

export type RenderedEmail = {
  templateId: string;
  /** Record this on the delivery. */
  templateVersion: string;
  subject: string;
  /** The inbox preview line (already inside the html). */
  preheader: string;
  html: string;
  text: string;
  /** html and text as JSON writes them, when the cache has them (for the batch body). */
  json?: EncodedBodies;
};

// One cache for the process: templates do not change while it runs.
const defaultCache = createRenderCache();

/** Any template (the staff previews use this with a template's previewProps or a subscriber's data). */
export async function renderTemplate<P>(def: TemplateDef<P>, props: P, cache: RenderCache = defaultCache): Promise<RenderedEmail> {
  const { html, text, json } = await cache.render(def, props);
  return { templateId: def.id, templateVersion: def.version, subject: def.subject, preheader: def.preheader, html, text, ...(json ? { json } : {}) };
}

/** A sequence email; pass a step of src/nurture/sequence.ts (anything with its templateId). Throws on an unknown template id. */
export async function renderSequenceEmail(
  step: { templateId: SequenceTemplateId | string },
  props: SequenceEmailProps,
  cache: RenderCache = defaultCache,
): Promise<RenderedEmail> {
  return renderTemplate(sequenceTemplate(step.templateId), props, cache);
}

/** The confirmation email, rendered as html and plain text. */
export function renderConfirmationEmail(props: ConfirmationEmailProps, cache: RenderCache = defaultCache): Promise<RenderedEmail> {
  return renderTemplate(confirmationTemplate, props, cache);
}
