import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

// The page suggests a fix for a mistyped common domain as the visitor types,
// before anything is sent. The library is CommonJS in several files, so it is
// bundled once per process into one script the page runs under its CSP nonce.
// It only ever suggests; the form is sent as typed.
const ENTRY = `
import { run } from '@zootools/email-spell-checker';
globalThis.suggestEmail = function (email) {
  var s = run({ email: email });
  return s && s.full && s.full !== email ? s.full : null;
};`;

// Shows the suggestion under the email field, with a button that applies it.
const UI = `
(function(){
  var input=document.getElementById('email'),box=document.getElementById('email-suggestion');
  if(!input||!box||!globalThis.suggestEmail)return;
  function show(){
    var s=input.value.trim()?globalThis.suggestEmail(input.value.trim()):null;
    box.textContent='';
    if(!s)return;
    var b=document.createElement('button');
    b.type='button';b.className='suggest';b.textContent=s;
    b.addEventListener('click',function(){input.value=s;box.textContent='';input.focus();});
    box.append('Did you mean ',b,'? ');
  }
  // After the tap that left the field has landed: a longer suggestion may take
  // two lines, and the form must not move under a finger mid-tap.
  function later(){setTimeout(show,250);}
  input.addEventListener('change',later);
  input.addEventListener('blur',later);
})();`;

let script: string | undefined;

/** The typo suggestion script (library and UI), built on first use. */
export function emailTypoScript(): string {
  script ??=
    buildSync({ stdin: { contents: ENTRY, resolveDir: here, loader: 'js' }, bundle: true, format: 'iife', minify: true, write: false, platform: 'browser', target: 'es2019' }).outputFiles[0]!.text + UI;
  return script;
}
