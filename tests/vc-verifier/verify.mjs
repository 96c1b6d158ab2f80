// An independent W3C VC check: Digital Bazaar's @digitalbazaar/vc with its Data Integrity
// and eddsa-jcs-2022 cryptosuite libraries (no Tanba code). Usage:
//   node verify.mjs --did <did-document.json> [--did ...] <vc.json>...
// The DID documents are what our server serves at /issuers/<BIN>/did.json; contexts come from
// @digitalbazaar/credentials-context, so nothing is fetched. Prints one JSON line per VC:
// {"file", "verified", "error"} and exits 1 if any does not verify.
import fs from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {contexts as credentialContexts} from '@digitalbazaar/credentials-context';
import jsigs from 'jsonld-signatures';

const didDocuments = new Map();
const files = [];
const args = process.argv.slice(2);
for(let i = 0; i < args.length; i++) {
  if(args[i] === '--did') {
    const doc = JSON.parse(fs.readFileSync(args[++i], 'utf8'));
    didDocuments.set(doc.id, doc);
  } else {
    files.push(args[i]);
  }
}

const documentLoader = async url => {
  if(credentialContexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: credentialContexts.get(url)};
  }
  const [did] = url.split('#');
  const didDocument = didDocuments.get(did);
  if(didDocument) {
    if(url.includes('#')) {
      const vm = didDocument.verificationMethod.find(m => m.id === url);
      if(!vm) {
        throw new Error(`no verification method ${url} in the DID document`);
      }
      return {
        contextUrl: null,
        documentUrl: url,
        document: {'@context': 'https://w3id.org/security/multikey/v1', ...vm},
      };
    }
    return {contextUrl: null, documentUrl: url, document: didDocument};
  }
  const security = jsigs.securityLoader && jsigs.securityLoader();
  if(security) {
    return security.build()(url);
  }
  throw new Error(`refusing to load ${url}`);
};

const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
let failed = 0;
for(const file of files) {
  const credential = JSON.parse(fs.readFileSync(file, 'utf8'));
  let result;
  try {
    result = await vc.verifyCredential({credential, suite, documentLoader});
  } catch(e) {
    result = {verified: false, error: e};
  }
  const error = result.verified ? null :
    String(result.error?.errors?.[0]?.message ?? result.error?.message ??
      JSON.stringify(result.results ?? result.error));
  if(!result.verified) {
    failed++;
  }
  console.log(JSON.stringify({file, verified: result.verified, error}));
}
process.exit(failed ? 1 : 0);
