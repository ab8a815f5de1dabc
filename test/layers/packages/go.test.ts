import test from 'ava'
import {keyFindings, pem} from './helpers.js'

const MOD = 'root/go/pkg/mod'
const ZIPHASH = 'h1:Y7yE5dxuoM2SIqnbWAXhtW1b5gPQnXbrPNwldlHRVoM=\n'

test('a file in the Go module cache is owned by its module (case-decoded) when the layer holds its .ziphash', async (t) => {
  const [f] = await keyFindings([[
    {name: `${MOD}/cache/download/github.com/!azure/azure-sdk-for-go/@v/v68.0.0+incompatible.ziphash`, content: ZIPHASH},
    {name: `${MOD}/github.com/!azure/azure-sdk-for-go@v68.0.0+incompatible/internal/tls/server.key`, content: pem()},
  ]])
  t.deepEqual(f?.origin?.package, {manager: 'go', name: 'github.com/Azure/azure-sdk-for-go', version: 'v68.0.0+incompatible'})
  t.is(f?.origin?.content, 'unverified', 'the h1: hash is of the module zip, not of one file')
  t.is(f?.severity, 'high')
})

test('without its own .ziphash in the layer (none, or only another module\'s), a module owns no file', async (t) => {
  const [bare] = await keyFindings([[{name: `${MOD}/golang.org/x/crypto@v0.17.0/ssh/testdata/id_rsa`, content: pem()}]])
  t.is(bare?.origin?.content, 'unowned')
  const [nested] = await keyFindings([[
    {name: `${MOD}/cache/download/golang.org/x/tools/@v/v0.16.0.ziphash`, content: ZIPHASH},
    {name: `${MOD}/golang.org/x/tools/gopls@v0.14.2/testdata/k.key`, content: pem()},
  ]])
  t.is(nested?.origin?.content, 'unowned')
})
