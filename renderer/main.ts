import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { i18n } from './i18n';
import { useEngineStore } from './stores/engine';
import './styles/main.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(i18n);
// Connect before mounting so the desktop port listener is in place as early as possible.
useEngineStore(pinia).start();
app.mount('#app');
